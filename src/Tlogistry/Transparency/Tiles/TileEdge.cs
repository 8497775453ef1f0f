using System.Numerics;
using Tlogistry.Transparency.Merkle;

namespace Tlogistry.Transparency.Tiles;

/// <summary>
/// The right edge of a tiled RFC 6962 tree: at each tile level, the hashes of its trailing
/// partial tile. That is the tree's compact range (every perfect subtree of the root's
/// decomposition sits in one of these tiles), so it alone gives the root and takes appends;
/// full tiles are never needed again once written. At most 8 levels × 255 hashes: under 64 KiB
/// whatever the tree's size.
/// </summary>
internal sealed class TileEdge
{
    // partial[L] holds the level-8L hashes of tile level L's trailing partial tile, in order.
    private readonly List<List<byte[]>> _partial;

    private TileEdge(long size, List<List<byte[]>> partial)
    {
        Size = size;
        _partial = partial;
    }

    public long Size { get; private set; }

    public static TileEdge Empty() => new(0, [[]]);

    /// <summary>
    /// The edge of a tree of <paramref name="size"/> leaves from its trailing partial hash tiles,
    /// read through <paramref name="readPartial"/> (tile level, tile index, width: width×32 bytes).
    /// </summary>
    public static TileEdge Read(long size, Func<int, long, int, byte[]> readPartial)
    {
        ArgumentNullException.ThrowIfNull(readPartial);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var levels = new List<List<byte[]>>();
        for (var level = 0; level == 0 || TileMath.NodeCount(size, level) > 0; level++)
        {
            var width = TileMath.PartialWidth(size, level);
            var hashes = new List<byte[]>(width);
            if (width > 0)
            {
                var data = readPartial(level, TileMath.FullTiles(size, level), width);
                if (data.Length != width * Rfc6962.HashSize)
                {
                    throw new FormatException($"hash tile {TilePath.Hash(level, TileMath.FullTiles(size, level), width)} holds {data.Length} bytes, not {width} hashes");
                }

                for (var i = 0; i < width; i++)
                {
                    hashes.Add(data.AsSpan(i * Rfc6962.HashSize, Rfc6962.HashSize).ToArray());
                }
            }

            levels.Add(hashes);
        }

        return new TileEdge(size, levels);
    }

    public TileEdge Clone() => new(Size, [.. _partial.Select(l => new List<byte[]>(l))]);

    /// <summary>How many tile levels the edge spans (the top one always holds the root's parts).</summary>
    public int Levels => _partial.Count;

    /// <summary>The trailing partial tile at <paramref name="level"/>: its index and hashes (empty when the level ends on a full tile).</summary>
    public (long Index, IReadOnlyList<byte[]> Hashes) Partial(int level) =>
        level < _partial.Count ? (TileMath.FullTiles(Size, level), _partial[level]) : (0, []);

    /// <summary>The hashes of the partial tile as stored: width×32 bytes.</summary>
    public byte[] PartialBytes(int level) => Concat(_partial[level]);

    /// <summary>
    /// Appends a leaf hash. Every tile this completes is reported to <paramref name="completed"/>
    /// (level, index, 256×32 bytes), lowest level first: it is final and must be written.
    /// </summary>
    public void Append(byte[] leafHash, Action<int, long, byte[]> completed)
    {
        ArgumentNullException.ThrowIfNull(leafHash);
        ArgumentNullException.ThrowIfNull(completed);
        if (leafHash.Length != Rfc6962.HashSize)
        {
            throw new ArgumentException($"a leaf hash is {Rfc6962.HashSize} bytes", nameof(leafHash));
        }

        var size = Size;
        var node = leafHash;
        for (var level = 0; ; level++)
        {
            if (level == _partial.Count)
            {
                _partial.Add([]);
            }

            var tile = _partial[level];
            tile.Add(node);
            if (tile.Count < TileMath.TileWidth)
            {
                break;
            }

            // A full tile's hashes fold into one node of the level above.
            completed(level, TileMath.FullTiles(size, level), Concat(tile));
            node = FullTileRoot(tile);
            tile.Clear();
        }

        Size = size + 1;
    }

    /// <summary>The root of the tree: its perfect subtrees, largest (leftmost) first, folded from the right.</summary>
    public byte[] Root()
    {
        if (Size == 0)
        {
            return Rfc6962.EmptyRoot();
        }

        var parts = new List<byte[]>();
        for (var level = _partial.Count - 1; level >= 0; level--)
        {
            var tile = _partial[level];
            var pos = 0;
            for (var bit = TileMath.TileHeight - 1; bit >= 0; bit--)
            {
                var span = 1 << bit;
                if ((tile.Count & span) != 0)
                {
                    parts.Add(Perfect(tile, pos, span));
                    pos += span;
                }
            }
        }

        var acc = parts[^1];
        for (var i = parts.Count - 2; i >= 0; i--)
        {
            acc = Rfc6962.NodeHash(parts[i], acc);
        }

        return acc;
    }

    /// <summary>MTH of a full tile's 256 hashes: the node one tile level up that stands for it.</summary>
    public static byte[] FullTileRoot(IReadOnlyList<byte[]> hashes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        return Perfect(hashes, 0, hashes.Count);
    }

    /// <summary>MTH of a full tile stored as 256×32 bytes.</summary>
    public static byte[] FullTileRoot(ReadOnlySpan<byte> tile)
    {
        var hashes = new byte[tile.Length / Rfc6962.HashSize][];
        for (var i = 0; i < hashes.Length; i++)
        {
            hashes[i] = tile.Slice(i * Rfc6962.HashSize, Rfc6962.HashSize).ToArray();
        }

        return Perfect(hashes, 0, hashes.Length);
    }

    private static byte[] Perfect(IReadOnlyList<byte[]> hashes, int start, int count)
    {
        if (!BitOperations.IsPow2(count))
        {
            throw new ArgumentException("a perfect subtree has a power-of-two width", nameof(count));
        }

        var layer = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            layer[i] = hashes[start + i];
        }

        for (; count > 1; count /= 2)
        {
            for (var i = 0; i < count / 2; i++)
            {
                layer[i] = Rfc6962.NodeHash(layer[2 * i], layer[(2 * i) + 1]);
            }
        }

        return layer[0];
    }

    private static byte[] Concat(List<byte[]> hashes)
    {
        var bytes = new byte[hashes.Count * Rfc6962.HashSize];
        for (var i = 0; i < hashes.Count; i++)
        {
            hashes[i].CopyTo(bytes, i * Rfc6962.HashSize);
        }

        return bytes;
    }
}
