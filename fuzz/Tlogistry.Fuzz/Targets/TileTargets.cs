using Tlogistry.Transparency.Tiles;
using static Tlogistry.Fuzzing.PropertyViolation;

namespace Tlogistry.Fuzzing;

/// <summary>c2sp.org/tlog-tiles resource paths and entry bundles.</summary>
internal static class TileTargets
{
    private static readonly string[] PathTokens =
    [
        "tile/", "tile/entries/", "entries/", "/", "x", "x001/", "x000/", ".p/", ".p/255", ".p/256", ".p/0", "000", "999",
        "..", "%2F", "-", "+", "\u0660", "63/", "64/",
    ];

    private static readonly string[] PathSeeds =
    [
        "tile/0/000", "tile/0/000.p/255", "tile/1/x001/x234/067", "tile/2/x001/x234/067.p/89", "tile/63/000",
        "tile/entries/000", "tile/entries/000.p/8", "tile/entries/x123/456", "tile/0/x009/x223/x372/x036/x854/x775/807",
        "tile/0/x009/x223/x372/x036/x854/x775/808", "tile/0/001.p/256", "tile/0/001.p/0", "tile/00/000", "tile/0/x000/001",
        "tile/0/1", "tile/64/000", "tile/0/000.p/01", "tile/entries/../000", "tile/0/000/",
    ];

    private static readonly byte[][] BundleTokens = [[0x00], [0x00, 0x00], [0x00, 0x01], [0x01, 0x00], [0xff, 0xff], [.. "{\"kind\":\"tlogistry/sighting\"}"u8]];

    private static readonly byte[][] BundleSeeds =
    [
        [],
        EntryBundle.Encode([[]]),
        EntryBundle.Encode([[.. "one"u8], [], new byte[300]]),
        EntryBundle.Encode([.. Enumerable.Range(0, EntryBundle.MaxEntries).Select(i => new[] { (byte)i })]),
        [0x00, 0x05, 0x61],
        [0x00],
    ];

    public static readonly FuzzTarget TilePathTarget = FuzzTarget.ForText(
        "tile-path", "TilePath.TryParse: never throws; accepted paths re-encode to themselves",
        CheckTilePath, PathSeeds, PathTokens);

    public static readonly FuzzTarget EntryBundleTarget = new(
        "entry-bundle", "EntryBundle.Decode: only FormatException; Encode(Decode(b)) == b",
        CheckEntryBundle, BundleSeeds, BundleTokens);

    public static string CheckTilePath(string path)
    {
        if (!TilePath.TryParse(path, out var tile))
        {
            Require(tile == default, "TryParse failed but set a tile");
            return "rejected";
        }

        Require(tile.Path == path, "an accepted path does not re-encode to itself");
        Require(tile.Level is >= 0 and <= TileMath.MaxLevel && tile.Index >= 0 && tile.Width is >= 1 and <= TileMath.TileWidth, $"out-of-range tile {tile}");
        Require(!tile.IsEntries || tile.Level == 0, "an entry bundle with a level");
        Require(TilePath.TryParse(tile.Path, out var again) && again == tile, "a tile's path does not parse back to it");
        return $"{(tile.IsEntries ? "entries" : "hash")} {(tile.IsFull ? "full" : "partial")}";
    }

    public static string CheckEntryBundle(byte[] data)
    {
        IReadOnlyList<byte[]> entries;
        try
        {
            entries = EntryBundle.Decode(data);
        }
        catch (FormatException e)
        {
            return FuzzInput.Shape(e.Message);
        }

        Require(entries.Count <= EntryBundle.MaxEntries, $"{entries.Count} entries");
        Require(EntryBundle.Encode(entries).AsSpan().SequenceEqual(data), "Encode(Decode(b)) != b");
        return entries.Count switch { 0 => "empty", 1 => "one", EntryBundle.MaxEntries => "full", _ => "several" };
    }
}
