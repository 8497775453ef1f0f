using System.Numerics;

namespace Tlogistry.Transparency.Merkle;

/// <summary>An RFC 6962 subtree, leaves [Start, End): every hash of a proof is one.</summary>
internal readonly record struct SubtreeRange(long Start, long End);

/// <summary>
/// Which subtrees an RFC 6962 proof is made of, in proof order (leaf to root), independent of
/// where their hashes come from: the in-memory tree hashes them from stored nodes, a tiles
/// reader from hash tiles. Every range is aligned (its start is a multiple of the smallest
/// power of two not below its size).
/// </summary>
internal static class ProofPaths
{
    /// <summary>RFC 6962 §2.1.1 PATH(index, D[0:size]).</summary>
    public static IReadOnlyList<SubtreeRange> Inclusion(long index, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, size);

        // Walk down from the root, taking the sibling subtree at each split; the recursion in
        // the RFC emits them bottom-up, hence the final reverse.
        var path = new List<SubtreeRange>();
        long lo = 0, hi = size;
        while (hi - lo > 1)
        {
            var k = SplitPoint(hi - lo);
            if (index < lo + k)
            {
                path.Add(new(lo + k, hi));
                hi = lo + k;
            }
            else
            {
                path.Add(new(lo, lo + k));
                lo += k;
            }
        }

        path.Reverse();
        return path;
    }

    /// <summary>
    /// RFC 6962 §2.1.2 PROOF(size1, D[0:size2]). size1 must be at least 1: a proof from the
    /// empty tree proves nothing and <see cref="MerkleProof.VerifyConsistency"/> refuses it.
    /// </summary>
    public static IReadOnlyList<SubtreeRange> Consistency(long size1, long size2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size1, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size1, size2);

        // SUBPROOF(m, D[lo:hi], complete), unrolled; m is relative to lo.
        var path = new List<SubtreeRange>();
        long lo = 0, hi = size2, m = size1;
        var complete = true;
        while (m != hi - lo)
        {
            var k = SplitPoint(hi - lo);
            if (m <= k)
            {
                path.Add(new(lo + k, hi));
                hi = lo + k;
            }
            else
            {
                path.Add(new(lo, lo + k));
                lo += k;
                m -= k;
                complete = false;
            }
        }

        // The old tree's own subtree is only sent when the verifier cannot know it as root1.
        if (!complete)
        {
            path.Add(new(lo, hi));
        }

        path.Reverse();
        return path;
    }

    /// <summary>The largest power of two strictly less than <paramref name="n"/> (n &gt;= 2): RFC 6962's k.</summary>
    public static long SplitPoint(long n) => 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));
}
