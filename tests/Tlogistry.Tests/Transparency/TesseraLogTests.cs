using System.Text;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Tiles;
using static Tlogistry.Tests.Transparency.MerkleFixtures;

namespace Tlogistry.Tests.Transparency;

/// <summary>A real 15-entry log written by Tessera's POSIX driver, rebuilt from its files.</summary>
public sealed class TesseraLogTests
{
    private const int LogSize = 15;

    [Fact]
    public void BundlesTilesAndCheckpointsAgreeWithTheRebuiltTree()
    {
        var dir = Fixtures.Require("merkle", "tlog-tiles", "tessera-testdata-log");
        var manifest = Load("tlog-tiles", "tessera-testdata-log.json");
        var expectedEntries = manifest.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("data_ascii").GetString()).ToList();
        Assert.Equal(LogSize, expectedEntries.Count);

        // The largest bundle holds every entry; each smaller one must be a prefix of it.
        var entries = EntryBundle.Decode(File.ReadAllBytes(FilePath(dir, TilePath.Entries(0, LogSize))));
        Assert.Equal(expectedEntries, entries.Select(e => Encoding.ASCII.GetString(e)));
        for (var w = 1; w <= LogSize; w++)
        {
            var bundle = File.ReadAllBytes(FilePath(dir, TilePath.Entries(0, w)));
            Assert.Equal(entries.Take(w), EntryBundle.Decode(bundle));
            Assert.Equal(bundle, EntryBundle.Encode([.. entries.Take(w)]));
        }

        var tree = new MerkleTree();
        foreach (var e in entries)
        {
            tree.Append(Rfc6962.LeafHash(e));
        }

        for (var w = 1; w <= LogSize; w++)
        {
            var path = TilePath.Hash(0, 0, w);
            Assert.Equal(File.ReadAllBytes(FilePath(dir, path)), TileMath.TileHashes(tree, 0, 0, w));
            Assert.Equal([new TileRef(0, 0, w, false)], TilePath.TilesForTreeSize(w));
        }

        for (var n = 0; n <= LogSize; n++)
        {
            Assert.Equal(CheckpointRoot(Path.Combine(dir, $"checkpoint.{n}"), n), tree.RootAt(n));
        }

        Assert.Equal(CheckpointRoot(Path.Combine(dir, "checkpoint"), LogSize), tree.Root());
    }

    [Fact]
    public void EveryFileInTheLogHasACanonicalTilePath()
    {
        var dir = Fixtures.Require("merkle", "tlog-tiles", "tessera-testdata-log");
        var tiles = Directory.EnumerateFiles(Path.Combine(dir, "tile"), "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/'))
            .ToList();
        Assert.Equal(2 * LogSize, tiles.Count);
        foreach (var rel in tiles)
        {
            Assert.True(TilePath.TryParse(rel, out var tile), rel);
            Assert.Equal(rel, tile.Path);
            if (!tile.IsEntries)
            {
                Assert.Equal(tile.Width * Rfc6962.HashSize, new FileInfo(Path.Combine(dir, rel)).Length);
            }
        }
    }

    [Fact]
    public void DerivedProofsOverTheLogAreReproduced()
    {
        var manifest = Load("tlog-tiles", "tessera-testdata-log.json");
        var tree = new MerkleTree();
        foreach (var e in manifest.GetProperty("entries").EnumerateArray())
        {
            tree.Append(Rfc6962.LeafHash(Encoding.ASCII.GetBytes(e.GetProperty("data_ascii").GetString()!)));
        }

        var derived = manifest.GetProperty("derived_proofs");
        var count = 0;
        foreach (var p in derived.GetProperty("inclusion").EnumerateArray())
        {
            var index = p.GetProperty("leaf_index").GetInt64();
            var size = p.GetProperty("tree_size").GetInt64();
            var proof = HexList(p.GetProperty("proof_hex"));
            Assert.Equal(Hex(p.GetProperty("leaf_hash_hex")), tree.LeafHash(index));
            Assert.Equal(proof, tree.InclusionProof(index, size));
            MerkleProof.VerifyInclusion(index, size, tree.LeafHash(index), proof, tree.RootAt(size));
            count++;
        }

        foreach (var p in derived.GetProperty("consistency").EnumerateArray())
        {
            var size1 = p.GetProperty("size1").GetInt64();
            var size2 = p.GetProperty("size2").GetInt64();
            var proof = HexList(p.GetProperty("proof_hex"));
            Assert.Equal(proof, tree.ConsistencyProof(size1, size2));
            MerkleProof.VerifyConsistency(size1, size2, proof, tree.RootAt(size1), tree.RootAt(size2));
            count++;
        }

        Assert.True(count > 2, $"only {count} derived proofs");
    }

    // A checkpoint body is origin, tree size, base64 root hash, then a blank line and signatures.
    private static byte[] CheckpointRoot(string file, long expectedSize)
    {
        var lines = File.ReadAllText(file).Split('\n');
        Assert.Equal("example.com/log/testdata", lines[0]);
        Assert.Equal(expectedSize.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[1]);
        return Convert.FromBase64String(lines[2]);
    }

    private static string FilePath(string dir, string tilePath) => Path.Combine([dir, .. tilePath.Split('/')]);
}
