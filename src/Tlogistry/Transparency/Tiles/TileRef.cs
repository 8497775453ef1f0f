namespace Tlogistry.Transparency.Tiles;

/// <summary>
/// One c2sp.org/tlog-tiles resource. <see cref="Width"/> is always the real number of hashes
/// (or entries) in the tile, 1..256, so a full tile has Width 256 and a partial one the
/// count after ".p/". Keeping the count (rather than Tessera's 0 = full) means byte sizes
/// and node ranges never need a special case. Entry bundles use Level 0 and IsEntries.
/// </summary>
internal readonly record struct TileRef(int Level, long Index, int Width, bool IsEntries)
{
    public bool IsFull => Width == TileMath.TileWidth;

    public string Path => IsEntries ? TilePath.Entries(Index, Width) : TilePath.Hash(Level, Index, Width);
}
