using Tlogistry.Transparency.Merkle;

namespace Tlogistry.Tests.Transparency;

/// <summary>Random trees checked against an independent, naive RFC 6962 MTH.</summary>
public sealed class MerklePropertyTests
{
    private const int Leaves = 300;
    private const int Seed = 6962;

    private static readonly (MerkleTree Tree, byte[][] Hashes) Built = Build();

    [Fact]
    public void RootsAtEverySizeMatchNaiveRecursion()
    {
        var (tree, hashes) = Built;
        for (var size = 0; size <= Leaves; size++)
        {
            Assert.Equal(NaiveRoot(hashes.AsSpan(0, size)), tree.RootAt(size));
        }
    }

    [Fact]
    public void EveryInclusionProofVerifiesAndAFlippedByteFails()
    {
        var (tree, _) = Built;
        var rng = new Random(Seed);
        var sizes = new[] { 1, 2, 3, 127, 128, 129, 255, 256, 257, Leaves };
        var checkedProofs = 0;
        foreach (var size in sizes)
        {
            var root = tree.RootAt(size);
            for (var index = 0; index < size; index++)
            {
                var leaf = tree.LeafHash(index);
                var proof = tree.InclusionProof(index, size);
                MerkleProof.VerifyInclusion(index, size, leaf, proof, root);
                checkedProofs++;

                Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyInclusion(index, size, Flip(leaf, rng), proof, root));
                Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyInclusion(index, size, leaf, proof, Flip(root, rng)));
                if (proof.Count > 0)
                {
                    var bad = proof.ToList();
                    var at = rng.Next(bad.Count);
                    bad[at] = Flip(bad[at], rng);
                    Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyInclusion(index, size, leaf, bad, root));
                }
            }
        }

        Assert.True(checkedProofs > 1000);
    }

    [Fact]
    public void SampledConsistencyProofsVerifyAndAFlippedByteFails()
    {
        var (tree, _) = Built;
        var rng = new Random(Seed + 1);
        var pairs = Enumerable.Range(0, 500).Select(_ =>
        {
            var a = rng.Next(1, Leaves + 1);
            var b = rng.Next(1, Leaves + 1);
            return (Math.Min(a, b), Math.Max(a, b));
        }).Concat([(1, Leaves), (Leaves, Leaves), (256, Leaves), (128, 256), (255, 256), (257, Leaves)]);

        foreach (var (size1, size2) in pairs)
        {
            var root1 = tree.RootAt(size1);
            var root2 = tree.RootAt(size2);
            var proof = tree.ConsistencyProof(size1, size2);
            MerkleProof.VerifyConsistency(size1, size2, proof, root1, root2);

            Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyConsistency(size1, size2, proof, Flip(root1, rng), root2));
            Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyConsistency(size1, size2, proof, root1, Flip(root2, rng)));
            if (proof.Count > 0)
            {
                var bad = proof.ToList();
                var at = rng.Next(bad.Count);
                bad[at] = Flip(bad[at], rng);
                Assert.Throws<MerkleProofException>(() => MerkleProof.VerifyConsistency(size1, size2, bad, root1, root2));
            }
        }
    }

    [Fact]
    public void InclusionProofsAtOlderSizesVerifyAgainstOlderRoots()
    {
        var (tree, _) = Built;
        var rng = new Random(Seed + 2);
        for (var i = 0; i < 1000; i++)
        {
            var size = rng.Next(1, Leaves + 1);
            var index = rng.Next(size);
            var proof = tree.InclusionProof(index, size);
            Assert.Equal(tree.RootAt(size), MerkleProof.RootFromInclusionProof(index, size, tree.LeafHash(index), proof));
        }
    }

    private static (MerkleTree, byte[][]) Build()
    {
        var rng = new Random(Seed);
        var tree = new MerkleTree();
        var hashes = new byte[Leaves][];
        for (var i = 0; i < Leaves; i++)
        {
            var leaf = new byte[rng.Next(0, 64)];
            rng.NextBytes(leaf);
            hashes[i] = Rfc6962.LeafHash(leaf);
            Assert.Equal(i, tree.Append(hashes[i]));
        }

        return (tree, hashes);
    }

    // RFC 6962 §2.1 MTH written straight from the definition, no stored nodes.
    private static byte[] NaiveRoot(ReadOnlySpan<byte[]> leaves)
    {
        if (leaves.Length == 0)
        {
            return Rfc6962.EmptyRoot();
        }

        if (leaves.Length == 1)
        {
            return leaves[0];
        }

        var k = 1;
        while (k * 2 < leaves.Length)
        {
            k *= 2;
        }

        return Rfc6962.NodeHash(NaiveRoot(leaves[..k]), NaiveRoot(leaves[k..]));
    }

    private static byte[] Flip(byte[] hash, Random rng)
    {
        var copy = (byte[])hash.Clone();
        copy[rng.Next(copy.Length)] ^= (byte)(1 << rng.Next(8));
        return copy;
    }
}
