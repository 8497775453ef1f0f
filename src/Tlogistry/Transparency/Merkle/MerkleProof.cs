using System.Security.Cryptography;

namespace Tlogistry.Transparency.Merkle;

/// <summary>
/// Verification of RFC 9162 §2.1.3.2 inclusion and §2.1.4.2 consistency proofs, with the
/// argument rules of transparency-dev/merkle: index &lt; size, size1 &gt;= 1, size1 = size2
/// needs an empty proof and equal roots. Every hash (leaf, roots, proof entries) must be
/// exactly 32 bytes; anything else is rejected before hashing.
/// </summary>
internal static class MerkleProof
{
    public static void VerifyInclusion(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        RequireHash(root, "root");
        var computed = RootFromInclusionProof(index, size, leafHash, proof);
        if (!CryptographicOperations.FixedTimeEquals(computed, root))
        {
            throw new MerkleProofException($"inclusion proof for leaf {index} does not lead to the root of tree size {size}");
        }
    }

    /// <summary>The root implied by an inclusion proof; throws if the proof has the wrong shape.</summary>
    public static byte[] RootFromInclusionProof(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (index < 0 || index >= size)
        {
            throw new MerkleProofException($"leaf index {index} is outside a tree of size {size}");
        }

        RequireHash(leafHash, "leaf hash");
        RequireProofHashes(proof);

        // fn walks the leaf's position up the tree, sn the last node's; a level where fn is a
        // right child, or the last node with no right sibling, takes the proof hash on the left.
        long fn = index, sn = size - 1;
        var r = leafHash.ToArray();
        foreach (var p in proof)
        {
            if (sn == 0)
            {
                throw new MerkleProofException($"inclusion proof has more than the expected hashes for leaf {index} of {size}");
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = Rfc6962.NodeHash(p, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r = Rfc6962.NodeHash(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        if (sn != 0)
        {
            throw new MerkleProofException($"inclusion proof has fewer than the expected hashes for leaf {index} of {size}");
        }

        return r;
    }

    public static void VerifyConsistency(long size1, long size2, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root1, ReadOnlySpan<byte> root2)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (size1 < 0 || size2 < size1)
        {
            throw new MerkleProofException($"size1 {size1} and size2 {size2} are not 0 <= size1 <= size2");
        }

        // Every tree extends the empty one, so such a proof carries no information; refusing it
        // (even for size2 = 0) keeps callers from mistaking it for a check that happened.
        if (size1 == 0)
        {
            throw new MerkleProofException("consistency with the empty tree cannot be proven");
        }

        RequireHash(root1, "root1");
        RequireHash(root2, "root2");

        if (size1 == size2)
        {
            if (proof.Count != 0)
            {
                throw new MerkleProofException("size1 equals size2 but the consistency proof is not empty");
            }

            RequireEqual(root1, root2, "root1 and root2 differ for equal tree sizes");
            return;
        }

        if (proof.Count == 0)
        {
            throw new MerkleProofException("consistency proof is empty");
        }

        RequireProofHashes(proof);

        // When size1 is a power of two the old root is itself a node of the new tree and is
        // not sent, so it seeds both running hashes (the RFC prepends it to the path).
        var start = 0;
        byte[] fr;
        if ((size1 & (size1 - 1)) == 0)
        {
            fr = root1.ToArray();
        }
        else
        {
            fr = proof[0];
            start = 1;
        }

        var sr = fr;
        long fn = size1 - 1, sn = size2 - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        for (var i = start; i < proof.Count; i++)
        {
            if (sn == 0)
            {
                throw new MerkleProofException($"consistency proof has more than the expected hashes for {size1} -> {size2}");
            }

            var c = proof[i];
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = Rfc6962.NodeHash(c, fr);
                sr = Rfc6962.NodeHash(c, sr);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                sr = Rfc6962.NodeHash(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        if (sn != 0)
        {
            throw new MerkleProofException($"consistency proof has fewer than the expected hashes for {size1} -> {size2}");
        }

        RequireEqual(fr, root1, $"consistency proof does not lead to root1 of tree size {size1}");
        RequireEqual(sr, root2, $"consistency proof does not lead to root2 of tree size {size2}");
    }

    private static void RequireHash(ReadOnlySpan<byte> hash, string what)
    {
        if (hash.Length != Rfc6962.HashSize)
        {
            throw new MerkleProofException($"{what} is {hash.Length} bytes, expected {Rfc6962.HashSize}");
        }
    }

    private static void RequireProofHashes(IReadOnlyList<byte[]> proof)
    {
        for (var i = 0; i < proof.Count; i++)
        {
            if (proof[i] is not { Length: Rfc6962.HashSize })
            {
                throw new MerkleProofException($"proof hash {i} is not {Rfc6962.HashSize} bytes");
            }
        }
    }

    private static void RequireEqual(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, string message)
    {
        if (!CryptographicOperations.FixedTimeEquals(a, b))
        {
            throw new MerkleProofException(message);
        }
    }
}
