using System.Numerics;

namespace Tlogistry.Transparency.Merkle;

/// <summary>
/// Append-only RFC 6962 tree held in memory. Every full (perfect) subtree hash is kept,
/// level by level, so any RFC 6962 subtree hash is a handful of lookups plus at most
/// one hash per level, and proofs never rehash leaves. Memory is about 2n hashes.
/// Not thread-safe: callers serialise appends against reads.
/// </summary>
internal sealed class MerkleTree
{
    private const int MaxLevels = 64;

    // levels[l][i] is the hash of the perfect subtree of 2^l leaves starting at leaf i * 2^l.
    private readonly List<List<byte[]>> levels = [[]];

    public long Size => levels[0].Count;

    /// <summary>Appends a leaf hash (already hashed with <see cref="Rfc6962.LeafHash"/>) and returns its index.</summary>
    public long Append(byte[] leafHash)
    {
        ArgumentNullException.ThrowIfNull(leafHash);
        if (leafHash.Length != Rfc6962.HashSize)
        {
            throw new ArgumentException($"a leaf hash is {Rfc6962.HashSize} bytes, got {leafHash.Length}", nameof(leafHash));
        }

        var index = Size;
        levels[0].Add((byte[])leafHash.Clone());

        // An even count at a level means the newest pair just completed its parent.
        for (var level = 0; (levels[level].Count & 1) == 0; level++)
        {
            var nodes = levels[level];
            if (level + 1 == levels.Count)
            {
                levels.Add([]);
            }

            levels[level + 1].Add(Rfc6962.NodeHash(nodes[^2], nodes[^1]));
        }

        return index;
    }

    public byte[] LeafHash(long index) => NodeAt(0, index);

    public byte[] Root() => RootAt(Size);

    /// <summary>The root the tree had when it held <paramref name="size"/> leaves.</summary>
    public byte[] RootAt(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, Size);
        return size == 0 ? Rfc6962.EmptyRoot() : SubtreeHash(0, size);
    }

    /// <summary>
    /// MTH of leaves [start, end). The range must be an RFC 6962 subtree: start is a multiple of
    /// the smallest power of two &gt;= end - start (every subtree that occurs in a proof is one).
    /// Unaligned ranges are refused because they share no stored nodes and would cost O(n).
    /// </summary>
    public byte[] SubtreeHash(long start, long end)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(end, Size);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(start, end);
        if ((start & ((long)BitOperations.RoundUpToPowerOf2((ulong)(end - start)) - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, $"[{start}, {end}) is not an aligned subtree");
        }

        return Copy(Subtree(start, end));
    }

    /// <summary>A stored full node; level 0 holds the leaf hashes.</summary>
    public byte[] NodeAt(int level, long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, NodeCount(level));
        return Copy(levels[level][(int)index]);
    }

    /// <summary>How many full nodes exist at <paramref name="level"/> (Size &gt;&gt; level).</summary>
    public long NodeCount(int level)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(level, MaxLevels);
        return level < levels.Count ? levels[level].Count : 0;
    }

    /// <summary>RFC 6962 §2.1.1 PATH(index, D[0:size]), ordered leaf to root.</summary>
    public IReadOnlyList<byte[]> InclusionProof(long index, long size)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, Size);
        return [.. ProofPaths.Inclusion(index, size).Select(r => Copy(Subtree(r.Start, r.End)))];
    }

    /// <summary>
    /// RFC 6962 §2.1.2 PROOF(size1, D[0:size2]). size1 must be at least 1: a proof from the
    /// empty tree proves nothing and <see cref="MerkleProof.VerifyConsistency"/> refuses it.
    /// </summary>
    public IReadOnlyList<byte[]> ConsistencyProof(long size1, long size2)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size2, Size);
        return [.. ProofPaths.Consistency(size1, size2).Select(r => Copy(Subtree(r.Start, r.End)))];
    }

    // Hash of an aligned subtree, possibly a stored array (callers copy before handing out).
    // The range splits into perfect subtrees, one per set bit of its size, largest first;
    // the RFC 6962 hash folds them right to left. O(log n) lookups and hashes.
    private byte[] Subtree(long start, long end)
    {
        byte[]? acc = null;
        var pos = end;
        for (var rest = (ulong)(end - start); rest != 0; rest &= rest - 1)
        {
            var level = BitOperations.TrailingZeroCount(rest);
            pos -= 1L << level;
            var node = levels[level][(int)(pos >> level)];
            acc = acc is null ? node : Rfc6962.NodeHash(node, acc);
        }

        return acc!;
    }

    private static byte[] Copy(byte[] hash) => (byte[])hash.Clone();
}
