using System.Text.Json;
using Tlogistry.Transparency.Tiles;
using static Tlogistry.Tests.Transparency.MerkleFixtures;

namespace Tlogistry.Tests.Transparency;

public sealed class TilePathTests
{
    // The fixture uses Tessera's width 0 for "full"; TileRef and TilePath use 256.
    private static int Width(JsonElement v) => v.GetProperty("width").GetInt32() is 0 ? TileMath.TileWidth : v.GetProperty("width").GetInt32();

    private static List<JsonElement> Vectors(string group) =>
        [.. Load("tlog-tiles", "tlog-tiles-paths.json").GetProperty(group).GetProperty("vectors").EnumerateArray()];

    [Fact]
    public void HashTilePathsMatchVectorsAndRoundTrip()
    {
        var vectors = Vectors("tile_path");
        Assert.Equal(5, vectors.Count);
        foreach (var v in vectors)
        {
            var level = v.GetProperty("level").GetInt32();
            var index = v.GetProperty("index").GetInt64();
            var path = v.GetProperty("path").GetString()!;
            Assert.Equal(path, TilePath.Hash(level, index, Width(v)));
            Assert.True(TilePath.TryParse(path, out var tile), path);
            Assert.Equal(new TileRef(level, index, Width(v), IsEntries: false), tile);
        }
    }

    [Fact]
    public void EntryPathsMatchVectorsAndRoundTrip()
    {
        var vectors = Vectors("entries_path");
        Assert.Equal(4, vectors.Count);
        foreach (var v in vectors)
        {
            var index = v.GetProperty("index").GetInt64();
            var path = v.GetProperty("path").GetString()!;
            Assert.Equal(path, TilePath.Entries(index, Width(v)));
            Assert.True(TilePath.TryParse(path, out var tile), path);
            Assert.Equal(new TileRef(0, index, Width(v), IsEntries: true), tile);
        }
    }

    [Fact]
    public void EntryBundleForLogIndexMatchesVectors()
    {
        var vectors = Vectors("entries_path_for_log_index");
        Assert.Equal(7, vectors.Count);
        foreach (var v in vectors)
        {
            var bundle = TileMath.EntryBundleFor(v.GetProperty("seq").GetInt64(), v.GetProperty("log_size").GetInt64());
            Assert.Equal(v.GetProperty("path").GetString(), bundle.Path);
        }
    }

    [Fact]
    public void IndexSuffixesMatchVectors()
    {
        var vectors = Vectors("n_with_suffix");
        Assert.Equal(4, vectors.Count);
        foreach (var v in vectors)
        {
            var suffix = v.GetProperty("path_suffix").GetString();
            Assert.Equal("tile/entries/" + suffix, TilePath.Entries(v.GetProperty("index").GetInt64(), Width(v)));
            Assert.Equal("tile/3/" + suffix, TilePath.Hash(3, v.GetProperty("index").GetInt64(), Width(v)));
        }
    }

    [Fact]
    public void ParseVectorsAcceptAndRejectAsExpected()
    {
        var vectors = Vectors("parse_level_index_partial");
        Assert.Equal(19, vectors.Count);
        foreach (var v in vectors)
        {
            var path = $"tile/{v.GetProperty("path_level").GetString()}/{v.GetProperty("path_index").GetString()}";
            var ok = TilePath.TryParse(path, out var tile);
            Assert.True(ok != v.GetProperty("want_error").GetBoolean(), path);
            if (ok)
            {
                Assert.Equal(new TileRef(v.GetProperty("level").GetInt32(), v.GetProperty("index").GetInt64(), Width(v), false), tile);
            }
            else
            {
                Assert.Equal(default, tile);
            }
        }
    }

    [Fact]
    public void SpecIndexEncodingExample()
    {
        var spec = Load("tlog-tiles", "tlog-tiles-paths.json").GetProperty("spec_examples");
        foreach (var e in spec.GetProperty("index_encoding").EnumerateArray())
        {
            Assert.Equal("tile/0/" + e.GetProperty("encoded").GetString(), TilePath.Hash(0, e.GetProperty("index").GetInt64(), 256));
        }
    }

    [Fact]
    public void SpecTreeSizeExamplesListTheRightTiles()
    {
        var examples = Load("tlog-tiles", "tlog-tiles-paths.json").GetProperty("spec_examples").GetProperty("tree_sizes").EnumerateArray().ToList();
        Assert.Equal(2, examples.Count);
        foreach (var ex in examples)
        {
            var size = ex.GetProperty("tree_size").GetInt64();
            var tiles = TilePath.TilesForTreeSize(size).ToList();
            var levels = ex.GetProperty("levels").EnumerateArray().ToList();
            Assert.Equal(levels.Count, tiles.Max(t => t.Level) + 1);

            var expectedTotal = 0;
            foreach (var lv in levels)
            {
                var level = lv.GetProperty("level").GetInt32();
                var atLevel = tiles.Where(t => t.Level == level).ToList();
                var full = atLevel.Where(t => t.IsFull).Select(t => t.Path).ToList();
                var fullCount = lv.GetProperty("full_tiles").GetInt32();
                Assert.Equal(fullCount, full.Count);
                Assert.Equal(fullCount, TileMath.FullTiles(size, level));
                Assert.Equal(lv.GetProperty("full_tile_paths_first_last").EnumerateArray().Select(p => p.GetString()), full.Count == 0 ? [] : [full[0], full[^1]]);

                var partial = atLevel.Where(t => !t.IsFull).Select(t => t.Path).SingleOrDefault();
                Assert.Equal(lv.GetProperty("partial_tile").GetString(), partial);
                expectedTotal += fullCount + (partial is null ? 0 : 1);
            }

            Assert.Equal(expectedTotal, tiles.Count);
            Assert.All(tiles, t => Assert.False(t.IsEntries));

            var bundles = ex.GetProperty("entry_bundles");
            Assert.Equal(bundles.GetProperty("full").GetInt64(), TileMath.FullTiles(size, 0));
            var partialBundle = TileMath.PartialWidth(size, 0) is var w and > 0 ? TilePath.Entries(TileMath.FullTiles(size, 0), w) : null;
            Assert.Equal(bundles.GetProperty("partial").GetString(), partialBundle);
        }
    }

    [Fact]
    public void TilesForSmallAndEmptyTrees()
    {
        Assert.Empty(TilePath.TilesForTreeSize(0));
        Assert.Equal([new TileRef(0, 0, 1, false)], TilePath.TilesForTreeSize(1));
        Assert.Equal([new TileRef(0, 0, 255, false)], TilePath.TilesForTreeSize(255));
        Assert.Equal(
            ["tile/0/000", "tile/0/001", "tile/0/002.p/5", "tile/1/000.p/2"],
            TilePath.TilesForTreeSize(517).Select(t => t.Path));
        Assert.Throws<ArgumentOutOfRangeException>(() => TilePath.TilesForTreeSize(-1));

        // The enumeration is lazy, so even a maximal tree can be inspected from the front.
        Assert.Equal(new TileRef(0, 0, 256, false), TilePath.TilesForTreeSize(long.MaxValue).First());
    }

    [Theory]
    [InlineData("tile/0/000.p/0")]
    [InlineData("tile/0/000.p/05")]
    [InlineData("tile/0/000.p/256")]
    [InlineData("tile/0/000.p/+5")]
    [InlineData("tile/00/000")]
    [InlineData("tile/01/000")]
    [InlineData("tile/+1/000")]
    [InlineData("tile/0/x000/001")]
    [InlineData("tile/0/x01/001")]
    [InlineData("tile/0/X001/001")]
    [InlineData("tile/0/1")]
    [InlineData("tile/0/0001")]
    [InlineData("tile/0/../000")]
    [InlineData("tile/0/x001/../000")]
    [InlineData("tile/0//000")]
    [InlineData("tile//000")]
    [InlineData("tile/0/000/")]
    [InlineData("/tile/0/000")]
    [InlineData("tiles/0/000")]
    [InlineData("tile/0/000 ")]
    [InlineData(" tile/0/000")]
    [InlineData("tile/0/٠٠٠")]
    [InlineData("tile/entries/000.p/")]
    [InlineData("tile/Entries/000")]
    [InlineData("tile/entries")]
    [InlineData("tile/0")]
    [InlineData("tile/")]
    [InlineData("")]
    [InlineData("tile/0/x009/x223/x372/x036/x854/x775/808")] // 2^63: overflows long
    public void TryParseRejectsJunk(string path)
    {
        Assert.False(TilePath.TryParse(path, out var tile), path);
        Assert.Equal(default, tile);
    }

    [Fact]
    public void TryParseAcceptsLargestIndexAndNull()
    {
        Assert.True(TilePath.TryParse("tile/0/x009/x223/x372/x036/x854/x775/807", out var tile));
        Assert.Equal(long.MaxValue, tile.Index);
        Assert.False(TilePath.TryParse(null, out _));
    }

    [Fact]
    public void EncodersRejectBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TilePath.Hash(64, 0, 256));
        Assert.Throws<ArgumentOutOfRangeException>(() => TilePath.Hash(-1, 0, 256));
        Assert.Throws<ArgumentOutOfRangeException>(() => TilePath.Hash(0, -1, 256));
        Assert.Throws<ArgumentOutOfRangeException>(() => TilePath.Hash(0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TilePath.Hash(0, 0, 257));
        Assert.Throws<ArgumentOutOfRangeException>(() => TilePath.Entries(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileMath.EntryBundleFor(5, 5));
    }

    [Fact]
    public void EveryEncodedPathParsesBack()
    {
        var rng = new Random(4);
        for (var i = 0; i < 2000; i++)
        {
            var tile = new TileRef(rng.Next(64), rng.NextInt64(0, long.MaxValue) >> rng.Next(63), rng.Next(1, 257), rng.Next(2) == 0);
            if (tile.IsEntries)
            {
                tile = tile with { Level = 0 };
            }

            Assert.True(TilePath.TryParse(tile.Path, out var parsed), tile.Path);
            Assert.Equal(tile, parsed);
        }
    }
}
