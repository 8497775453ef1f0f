using System.Globalization;
using Tlogistry.Transparency.Tiles;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// What a crash in the middle of an append leaves in the embedded log's directory, made on
/// purpose: tiles of an append whose checkpoint never landed, torn at the end, and tiles
/// wider than the checkpoint needs. Every path returned lies beyond the checkpoint, so a
/// restart must remove it and must not need it.
/// </summary>
internal static class TornWrites
{
    private const int HashSize = 32;

    /// <summary>The size line of the checkpoint note, read without verifying it (only to find files).</summary>
    public static long CheckpointSize(string logDir) =>
        long.Parse(File.ReadAllLines(Path.Combine(logDir, "checkpoint"))[1], CultureInfo.InvariantCulture);

    /// <summary>Tile files (relative paths) holding nodes or entries past a checkpoint of <paramref name="size"/>.</summary>
    public static List<string> BeyondCheckpoint(string logDir, long size)
    {
        var tiles = Path.Combine(logDir, "tile");
        if (!Directory.Exists(tiles))
        {
            return [];
        }

        return Directory.EnumerateFiles(tiles, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(logDir, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(rel => TilePath.TryParse(rel, out var tile)
                && (tile.Index * TileMath.TileWidth) + tile.Width > TileMath.NodeCount(size, tile.IsEntries ? 0 : tile.Level))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The next append cut short: its entry bundle and level-0 hash tile written under their
    /// final names but torn (a half entry, a half hash, or garbage after a torn file a real
    /// crash left), sometimes with the level-1 tile it would have started.
    /// </summary>
    public static List<string> TearNextAppend(string logDir, long size, Random rng)
    {
        var tile = size / TileMath.TileWidth;
        var width = (int)(size % TileMath.TileWidth);
        var entries = TilePath.Entries(tile, width + 1);
        var hashes = TilePath.Hash(0, tile, width + 1);
        List<string> touched = [entries, hashes];

        var bundle = width > 0 ? File.ReadAllBytes(Full(logDir, TilePath.Entries(tile, width))) : [];
        var declared = rng.Next(200, 2000);
        byte[] halfEntry = [(byte)(declared >> 8), (byte)declared, .. Garbage(rng, rng.Next(0, declared))];
        Tear(logDir, entries, [.. bundle, .. halfEntry], rng);

        var stored = width > 0 ? File.ReadAllBytes(Full(logDir, TilePath.Hash(0, tile, width))) : [];
        Tear(logDir, hashes, [.. stored, .. Garbage(rng, rng.Next(1, HashSize))], rng);

        if (rng.Next(2) == 0)
        {
            var nodes = TileMath.NodeCount(size, 1);
            var upper = TilePath.Hash(1, nodes / TileMath.TileWidth, (int)(nodes % TileMath.TileWidth) + 1);
            Write(logDir, upper, Garbage(rng, rng.Next(1, HashSize * ((int)(nodes % TileMath.TileWidth) + 1))));
            touched.Add(upper);
        }

        return touched;
    }

    /// <summary>Tiles wider than any append from this checkpoint would write: a partial several entries ahead, a full tile, or the next tile.</summary>
    public static List<string> AddWiderTiles(string logDir, long size, Random rng)
    {
        var tile = size / TileMath.TileWidth;
        var width = (int)(size % TileMath.TileWidth);
        var (index, wider) = rng.Next(3) switch
        {
            0 => (tile, Math.Min(TileMath.TileWidth, width + rng.Next(2, 40))),
            1 => (tile, TileMath.TileWidth),
            _ => (tile + 1, rng.Next(1, TileMath.TileWidth + 1)),
        };

        List<string> touched = [TilePath.Entries(index, wider), TilePath.Hash(0, index, wider)];
        Write(logDir, touched[0], Garbage(rng, wider * rng.Next(3, 600)));
        Write(logDir, touched[1], Garbage(rng, wider * HashSize));
        return touched;
    }

    /// <summary>A damaged checkpoint: a flipped root hash character, a changed size, cut in half, or gone.</summary>
    public static string DamageCheckpoint(string logDir, long size, Random rng)
    {
        var path = Path.Combine(logDir, "checkpoint");
        var text = File.ReadAllText(path);
        var lines = text.Split('\n');
        switch (rng.Next(size > 0 ? 4 : 3))
        {
            case 0:
                var root = lines[2].ToCharArray();
                var at = rng.Next(0, 40);
                root[at] = root[at] == 'A' ? 'B' : 'A';
                lines[2] = new string(root);
                File.WriteAllText(path, string.Join('\n', lines));
                return "root hash changed";
            case 1:
                lines[1] = (size + 1).ToString(CultureInfo.InvariantCulture);
                File.WriteAllText(path, string.Join('\n', lines));
                return "size changed";
            case 2:
                File.WriteAllText(path, text[..(text.Length / 2)]);
                return "cut in half";
            default:
                File.Delete(path);
                return "deleted";
        }
    }

    /// <summary>Writes a torn file, or when a crash already left one there, tears it further.</summary>
    private static void Tear(string logDir, string relative, byte[] torn, Random rng)
    {
        var full = Full(logDir, relative);
        if (File.Exists(full) && new FileInfo(full).Length > 1)
        {
            var bytes = File.ReadAllBytes(full);
            Write(logDir, relative, rng.Next(2) == 0 ? bytes[..rng.Next(1, bytes.Length)] : [.. bytes, .. Garbage(rng, rng.Next(1, 64))]);
            return;
        }

        Write(logDir, relative, torn);
    }

    private static void Write(string logDir, string relative, byte[] bytes)
    {
        var full = Full(logDir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
    }

    private static byte[] Garbage(Random rng, int length)
    {
        var bytes = new byte[length];
        rng.NextBytes(bytes);
        return bytes;
    }

    private static string Full(string logDir, string relative) => Path.Combine(logDir, relative.Replace('/', Path.DirectorySeparatorChar));
}
