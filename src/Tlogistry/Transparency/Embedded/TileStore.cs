using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Tiles;

namespace Tlogistry.Transparency.Embedded;

/// <summary>
/// The embedded log's files, laid out as C2SP tlog-tiles under one directory:
/// <c>checkpoint</c>, <c>tile/L/N[.p/W]</c> and <c>tile/entries/N[.p/W]</c>. Tiles are
/// written once under their final name and fsynced; the checkpoint is replaced atomically
/// and is the commit point of an append. Superseded partial tiles are deleted only after a
/// newer checkpoint is durable, so the files a checkpoint names always exist.
/// </summary>
internal sealed class TileStore
{
    private readonly string _root;

    public TileStore(string root)
    {
        _root = root;
    }

    public string CheckpointPath => Path.Combine(_root, "checkpoint");

    public string? ReadCheckpoint() => File.Exists(CheckpointPath) ? File.ReadAllText(CheckpointPath) : null;

    public void WriteCheckpoint(string signedNote) =>
        DurableFile.Write(CheckpointPath, System.Text.Encoding.UTF8.GetBytes(signedNote), atomicReplace: true);

    /// <summary>
    /// Makes an append durable: its new tiles and the next checkpoint (under a temporary
    /// name) are written and synced together, then the checkpoint replaces the old one, the
    /// commit point. Until that rename the old checkpoint and the tiles it names stand.
    /// </summary>
    /// <remarks>
    /// The files of <paramref name="deferred"/> (what the batch's leaves depend on) are synced
    /// under their temporary names, linked in, and their directories synced with the tiles: all
    /// before the checkpoint. A file that may not replace one already there fails the commit.
    /// </remarks>
    public async Task CommitAppendAsync(IReadOnlyList<(string Relative, byte[] Data)> tiles, string signedNote, DeferredSync? deferred = null)
    {
        var linkedDirs = new List<string>();
        if (deferred is { Files.Count: > 0 })
        {
            await DurableFile.SyncFilesAsync(deferred.Files.Select(f => f.Temporary));
            foreach (var file in deferred.Files)
            {
                File.Move(file.Temporary, file.Final, overwrite: file.Replace);
                linkedDirs.Add(Path.GetDirectoryName(file.Final)!);
            }
        }

        var pending = CheckpointPath + ".tmp";
        var files = tiles.Select(t => (Full(t.Relative), t.Data)).Append((pending, System.Text.Encoding.UTF8.GetBytes(signedNote))).ToList();
        await DurableFile.WriteAllAsync(files, linkedDirs);
        DurableFile.Replace(pending, CheckpointPath);
    }

    public bool HasAnyTiles() => Directory.Exists(Path.Combine(_root, "tile"));

    /// <summary>Reads the first <paramref name="width"/> hashes of a hash tile, from the exact file or a wider one.</summary>
    public byte[] ReadHashTile(int level, long index, int width)
    {
        var data = ReadPrefixSource(p => TilePath.Hash(level, index, p), width);
        var need = width * Rfc6962.HashSize;
        return data.Length < need
            ? throw new InvalidDataException($"hash tile {TilePath.Hash(level, index, width)} holds {data.Length / Rfc6962.HashSize} hashes, need {width}")
            : data[..need];
    }

    /// <summary>Reads the first <paramref name="width"/> entries of an entry bundle.</summary>
    public IReadOnlyList<byte[]> ReadEntryTile(long index, int width)
    {
        var data = ReadPrefixSource(p => TilePath.Entries(index, p), width);
        var entries = EntryBundle.Decode(data);
        return entries.Count < width
            ? throw new InvalidDataException($"entry bundle {TilePath.Entries(index, width)} holds {entries.Count} entries, need {width}")
            : entries.Take(width).ToList();
    }

    /// <summary>Deletes a partial tile that a durable checkpoint no longer needs.</summary>
    public void DeleteSuperseded(bool entries, int level, long index, int width)
    {
        if (width is <= 0 or >= TileMath.TileWidth)
        {
            return;
        }

        var path = Full(entries ? TilePath.Entries(index, width) : TilePath.Hash(level, index, width));
        File.Delete(path);
    }

    /// <summary>
    /// Removes every tile file a checkpoint of <paramref name="size"/> does not name, and
    /// returns how many. An append cut short can leave tiles at any level, full or partial
    /// and torn, that lie beyond the checkpoint; a later append would rewrite them, but until
    /// then they sit on disk as if they were part of the log. Partials the checkpoint has
    /// superseded go too. Call only once the checkpoint and the tiles it names have verified.
    /// </summary>
    public int DeleteUnnamed(long size)
    {
        var tiles = Path.Combine(_root, "tile");
        if (!Directory.Exists(tiles))
        {
            return 0;
        }

        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(tiles, "*", SearchOption.AllDirectories).ToList())
        {
            var relative = Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (TilePath.TryParse(relative, out var tile) && !Names(size, tile))
            {
                File.Delete(file);
                removed++;
            }
        }

        return removed;
    }

    /// <summary>Whether a checkpoint of <paramref name="size"/> is made of <paramref name="tile"/>: a full tile below its edge, or its exact trailing partial.</summary>
    private static bool Names(long size, TileRef tile)
    {
        var nodes = TileMath.NodeCount(size, tile.IsEntries ? 0 : tile.Level);
        var full = nodes / TileMath.TileWidth;
        return tile.IsFull ? tile.Index < full : tile.Index == full && tile.Width == nodes % TileMath.TileWidth;
    }

    private byte[] ReadPrefixSource(Func<int, string> pathFor, int width)
    {
        var exact = Full(pathFor(width));
        if (File.Exists(exact))
        {
            return File.ReadAllBytes(exact);
        }

        var full = Full(pathFor(TileMath.TileWidth));
        if (File.Exists(full))
        {
            return File.ReadAllBytes(full);
        }

        throw new InvalidDataException($"tile {pathFor(width)} is missing");
    }

    private string Full(string relative) => Path.Combine(_root, relative.Replace('/', Path.DirectorySeparatorChar));
}
