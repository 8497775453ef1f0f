using Tlogistry.Transparency.Merkle;

namespace Tlogistry.Transparency.Tiles;

/// <summary>
/// Tile geometry: a level-L tile holds up to 256 consecutive full nodes of tree level 8L,
/// so tile (L, N) covers nodes N*256 .. N*256+Width-1 of that level.
/// </summary>
internal static class TileMath
{
    public const int TileHeight = 8;
    public const int TileWidth = 256;
    public const int MaxLevel = 63;

    /// <summary>Full tree nodes available at tile level <paramref name="level"/> for a tree of <paramref name="treeSize"/>.</summary>
    public static long NodeCount(long treeSize, int level)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(treeSize);
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, MaxLevel);

        // C# masks shift counts to 6 bits, so shifting a long by 64 or more must be explicit.
        var shift = level * TileHeight;
        return shift >= 63 ? 0 : treeSize >> shift;
    }

    public static long FullTiles(long treeSize, int level) => NodeCount(treeSize, level) / TileWidth;

    /// <summary>Width of the trailing partial tile at <paramref name="level"/>, or 0 when there is none.</summary>
    public static int PartialWidth(long treeSize, int level) => (int)(NodeCount(treeSize, level) % TileWidth);

    /// <summary>The entry bundle that holds entry <paramref name="index"/> in a log of <paramref name="treeSize"/>.</summary>
    public static TileRef EntryBundleFor(long index, long treeSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, treeSize);
        var bundle = index / TileWidth;
        var width = (int)Math.Min(TileWidth, treeSize - (bundle * TileWidth));
        return new TileRef(0, bundle, width, IsEntries: true);
    }

    /// <summary>The tile's contents: Width concatenated 32-byte node hashes of tree level 8*level.</summary>
    public static byte[] TileHashes(MerkleTree tree, int level, long index, int width)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, TileWidth);

        // Tree levels stop at 63, so tile levels above 7 can never hold a node.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 63 / TileHeight);
        var treeLevel = level * TileHeight;
        var available = tree.NodeCount(treeLevel);
        if (index > available / TileWidth || (index * TileWidth) + width > available)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"tile {level}/{index} of width {width} needs nodes the tree does not have");
        }

        var first = index * TileWidth;
        var hashes = new byte[width * Rfc6962.HashSize];
        for (var i = 0; i < width; i++)
        {
            tree.NodeAt(treeLevel, first + i).CopyTo(hashes, i * Rfc6962.HashSize);
        }

        return hashes;
    }
}
