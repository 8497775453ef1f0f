using System.Text.Json;
using Tlogistry.Transparency.Merkle;
using static Tlogistry.Tests.Transparency.MerkleFixtures;

namespace Tlogistry.Tests.Transparency;

public sealed class MerkleTreeTests
{
    [Fact]
    public void RootsMatchReferenceAtEverySize()
    {
        var (json, tree) = ReferenceTree();
        var roots = json.GetProperty("roots").EnumerateArray().ToList();
        Assert.Equal(9, roots.Count);
        foreach (var r in roots)
        {
            var size = r.GetProperty("tree_size").GetInt64();
            Assert.Equal(Hex(r.GetProperty("root")), tree.RootAt(size));
        }

        Assert.Equal(tree.RootAt(8), tree.Root());
        Assert.Equal(Rfc6962.EmptyRoot(), new MerkleTree().Root());
    }

    [Fact]
    public void StoredNodesMatchReferenceNodeHashes()
    {
        var (json, tree) = ReferenceTree();
        var levels = json.GetProperty("node_hashes").GetProperty("levels").EnumerateArray().ToList();
        Assert.Equal(4, levels.Count);
        var seen = 0;
        for (var level = 0; level < levels.Count; level++)
        {
            var nodes = HexList(levels[level]);
            Assert.Equal(nodes.Count, tree.NodeCount(level));
            for (var i = 0; i < nodes.Count; i++)
            {
                Assert.Equal(nodes[i], tree.NodeAt(level, i));
                seen++;
            }
        }

        Assert.Equal(15, seen);
        Assert.Equal(0, tree.NodeCount(4));
        Assert.Equal(HexList(json.GetProperty("leaf_hashes"))[5], tree.LeafHash(5));
    }

    [Fact]
    public void ReferenceInclusionProofsAreGeneratedAndVerified()
    {
        var (json, tree) = ReferenceTree();
        var count = 0;
        foreach (var p in json.GetProperty("inclusion_proofs").EnumerateArray())
        {
            CheckInclusion(tree, p);
            count++;
        }

        Assert.Equal(5, count);
    }

    [Fact]
    public void ReferenceConsistencyProofsAreGeneratedAndVerified()
    {
        var (json, tree) = ReferenceTree();
        var count = 0;
        foreach (var p in json.GetProperty("consistency_proofs").EnumerateArray())
        {
            CheckConsistency(tree, p);
            count++;
        }

        Assert.Equal(5, count);
    }

    [Fact]
    public void AllDerivedEightLeafProofsAreReproducedByteForByte()
    {
        var tree = ReferenceTree().Tree;
        var json = Load("derived-rfc6962-8leaf-all-proofs.json");

        var inclusion = json.GetProperty("inclusion_proofs").EnumerateArray().ToList();
        var consistency = json.GetProperty("consistency_proofs").EnumerateArray().ToList();
        Assert.Equal(36, inclusion.Count);
        Assert.Equal(36, consistency.Count);
        inclusion.ForEach(p => CheckInclusion(tree, p));
        consistency.ForEach(p => CheckConsistency(tree, p));
    }

    [Fact]
    public void SubtreeHashUsesRfcSplitting()
    {
        var tree = ReferenceTree().Tree;
        var h = Enumerable.Range(0, 8).Select(i => tree.LeafHash(i)).ToArray();

        // [4, 7) = MTH(d4, d5, d6) = H(H(d4, d5), d6)
        Assert.Equal(Rfc6962.NodeHash(Rfc6962.NodeHash(h[4], h[5]), h[6]), tree.SubtreeHash(4, 7));
        Assert.Equal(tree.NodeAt(2, 1), tree.SubtreeHash(4, 8));
        Assert.Equal(h[6], tree.SubtreeHash(6, 7));
        Assert.Equal(tree.RootAt(5), tree.SubtreeHash(0, 5));
    }

    [Fact]
    public void ReturnedHashesAreCopies()
    {
        var tree = ReferenceTree().Tree;
        var before = tree.Root();
        tree.NodeAt(0, 0)[0] ^= 0xff;
        tree.SubtreeHash(0, 8)[0] ^= 0xff;
        tree.InclusionProof(0, 8)[0][0] ^= 0xff;
        Assert.Equal(before, tree.Root());
        Assert.Equal(before, tree.RootAt(8));
    }

    [Fact]
    public void AppendCopiesAndReturnsIndex()
    {
        var tree = new MerkleTree();
        var leaf = Rfc6962.LeafHash([1, 2, 3]);
        Assert.Equal(0, tree.Append(leaf));
        Assert.Equal(1, tree.Append(leaf));
        leaf[0] ^= 1;
        Assert.NotEqual(leaf, tree.LeafHash(0));
        Assert.Equal(2, tree.Size);
    }

    [Fact]
    public void BadArgumentsThrow()
    {
        var tree = ReferenceTree().Tree;
        Assert.Throws<ArgumentNullException>(() => tree.Append(null!));
        Assert.ThrowsAny<ArgumentException>(() => tree.Append(new byte[31]));

        Assert.Throws<ArgumentOutOfRangeException>(() => tree.RootAt(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.RootAt(9));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.LeafHash(8));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.LeafHash(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.NodeAt(1, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.NodeAt(5, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.NodeAt(-1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.NodeCount(64));

        Assert.Throws<ArgumentOutOfRangeException>(() => tree.SubtreeHash(3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.SubtreeHash(-1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.SubtreeHash(0, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.SubtreeHash(1, 3)); // not aligned
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.SubtreeHash(2, 5)); // size 3 needs start % 4 == 0

        Assert.Throws<ArgumentOutOfRangeException>(() => tree.InclusionProof(8, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.InclusionProof(0, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.InclusionProof(-1, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.InclusionProof(0, 0));

        Assert.Throws<ArgumentOutOfRangeException>(() => tree.ConsistencyProof(0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.ConsistencyProof(5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.ConsistencyProof(4, 9));
    }

    [Fact]
    public void LargeTreeAppendsAndProvesWithoutRehashingLeaves()
    {
        // 2^17 + 3 leaves: a tree that would be slow if any query walked the leaves.
        var tree = new MerkleTree();
        const int n = (1 << 17) + 3;
        for (var i = 0; i < n; i++)
        {
            tree.Append(Rfc6962.LeafHash(BitConverter.GetBytes(i)));
        }

        Assert.Equal(1, tree.NodeCount(17));
        var root = tree.Root();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (long i = 0; i < 2000; i++)
        {
            var index = (i * 7919) % n;
            MerkleProof.VerifyInclusion(index, n, tree.LeafHash(index), tree.InclusionProof(index, n), root);
        }

        // Generous bound: 2000 O(log^2 n) proofs take milliseconds; an O(n) path would take minutes.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"proofs took {sw.Elapsed}");
    }

    private static void CheckInclusion(MerkleTree tree, JsonElement p)
    {
        var index = p.GetProperty("leaf_index").GetInt64();
        var size = p.GetProperty("tree_size").GetInt64();
        var leaf = Hex(p.GetProperty("leaf_hash"));
        var root = Hex(p.GetProperty("root"));
        var expected = HexList(p.GetProperty("proof"));

        Assert.Equal(leaf, tree.LeafHash(index));
        Assert.Equal(root, tree.RootAt(size));
        Assert.Equal(expected, tree.InclusionProof(index, size));
        MerkleProof.VerifyInclusion(index, size, leaf, expected, root);
        Assert.Equal(root, MerkleProof.RootFromInclusionProof(index, size, leaf, expected));
    }

    private static void CheckConsistency(MerkleTree tree, JsonElement p)
    {
        var size1 = p.GetProperty("size1").GetInt64();
        var size2 = p.GetProperty("size2").GetInt64();
        var root1 = Hex(p.GetProperty("root1"));
        var root2 = Hex(p.GetProperty("root2"));
        var expected = HexList(p.GetProperty("proof"));

        Assert.Equal(root1, tree.RootAt(size1));
        Assert.Equal(root2, tree.RootAt(size2));
        Assert.Equal(expected, tree.ConsistencyProof(size1, size2));
        MerkleProof.VerifyConsistency(size1, size2, expected, root1, root2);
    }
}
