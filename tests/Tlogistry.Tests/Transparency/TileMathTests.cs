using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Tiles;

namespace Tlogistry.Tests.Transparency;

public sealed class TileMathTests
{
    private static readonly MerkleTree Tree70000 = Build(70000);

    [Fact]
    public void EveryTileOfA70000LeafTreeCanBeBuiltFromStoredNodes()
    {
        var tiles = TilePath.TilesForTreeSize(70000).ToList();
        Assert.Equal(273 + 1 + 1 + 1 + 1, tiles.Count);
        foreach (var t in tiles)
        {
            var data = TileMath.TileHashes(Tree70000, t.Level, t.Index, t.Width);
            Assert.Equal(t.Width * Rfc6962.HashSize, data.Length);
        }
    }

    [Fact]
    public void HigherLevelTileHashesAreSubtreeRoots()
    {
        // tile/1/001.p/17 holds level-8 nodes 256..272, each the root of 256 leaves.
        var data = TileMath.TileHashes(Tree70000, 1, 1, 17);
        for (var i = 0; i < 17; i++)
        {
            var start = (256L + i) * 256;
            Assert.Equal(Tree70000.SubtreeHash(start, start + 256), data.AsSpan(i * 32, 32).ToArray());
        }

        // tile/2/000.p/1 is the one level-16 node: the root of the first 65536 leaves.
        Assert.Equal(Tree70000.RootAt(65536), TileMath.TileHashes(Tree70000, 2, 0, 1));
    }

    [Fact]
    public void FullTilePrefixesMatchPartialTiles()
    {
        var full = TileMath.TileHashes(Tree70000, 0, 5, 256);
        Assert.Equal(full[..(100 * 32)], TileMath.TileHashes(Tree70000, 0, 5, 100));
    }

    [Fact]
    public void CountsPerLevel()
    {
        Assert.Equal(273, TileMath.FullTiles(70000, 0));
        Assert.Equal(112, TileMath.PartialWidth(70000, 0));
        Assert.Equal(1, TileMath.FullTiles(70000, 1));
        Assert.Equal(17, TileMath.PartialWidth(70000, 1));
        Assert.Equal(0, TileMath.FullTiles(70000, 2));
        Assert.Equal(1, TileMath.PartialWidth(70000, 2));
        Assert.Equal(0, TileMath.NodeCount(70000, 3));
        Assert.Equal(0, TileMath.NodeCount(long.MaxValue, 8));
        Assert.Equal(127, TileMath.NodeCount(long.MaxValue, 7));
    }

    [Fact]
    public void TileHashesRejectsTilesTheTreeCannotFill()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TileMath.TileHashes(Tree70000, 0, 273, 113));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileMath.TileHashes(Tree70000, 0, 274, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileMath.TileHashes(Tree70000, 1, 1, 18));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileMath.TileHashes(Tree70000, 3, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileMath.TileHashes(Tree70000, 8, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileMath.TileHashes(Tree70000, int.MaxValue, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileMath.TileHashes(Tree70000, 0, long.MaxValue, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileMath.TileHashes(Tree70000, 0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileMath.TileHashes(Tree70000, 0, 0, 257));
        Assert.Equal(112 * 32, TileMath.TileHashes(Tree70000, 0, 273, 112).Length);
    }

    private static MerkleTree Build(int n)
    {
        var tree = new MerkleTree();
        for (var i = 0; i < n; i++)
        {
            tree.Append(Rfc6962.LeafHash(BitConverter.GetBytes(i)));
        }

        return tree;
    }
}
