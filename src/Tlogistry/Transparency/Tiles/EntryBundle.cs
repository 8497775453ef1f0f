using System.Buffers.Binary;

namespace Tlogistry.Transparency.Tiles;

/// <summary>
/// c2sp.org/tlog-tiles entry bundle: each entry is a big-endian uint16 length followed by
/// its bytes, concatenated with no header. The bundle carries no count, so it is only
/// self-delimiting per entry; the tile width says how many entries to expect.
/// </summary>
internal static class EntryBundle
{
    public const int MaxEntrySize = ushort.MaxValue;

    // A bundle mirrors one level-0 tile, so more entries than a tile holds is malformed.
    public const int MaxEntries = TileMath.TileWidth;

    public static byte[] Encode(IReadOnlyList<byte[]> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count > MaxEntries)
        {
            throw new ArgumentException($"a bundle holds at most {MaxEntries} entries, got {entries.Count}", nameof(entries));
        }

        var total = 0;
        foreach (var entry in entries)
        {
            ArgumentNullException.ThrowIfNull(entry, nameof(entries));
            if (entry.Length > MaxEntrySize)
            {
                throw new ArgumentException($"entry of {entry.Length} bytes exceeds {MaxEntrySize}", nameof(entries));
            }

            total += 2 + entry.Length;
        }

        var data = new byte[total];
        var pos = 0;
        foreach (var entry in entries)
        {
            BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(pos), (ushort)entry.Length);
            entry.CopyTo(data, pos + 2);
            pos += 2 + entry.Length;
        }

        return data;
    }

    public static IReadOnlyList<byte[]> Decode(ReadOnlySpan<byte> data)
    {
        var entries = new List<byte[]>();
        while (!data.IsEmpty)
        {
            if (entries.Count == MaxEntries)
            {
                throw new FormatException($"entry bundle has more than {MaxEntries} entries");
            }

            if (data.Length < 2)
            {
                throw new FormatException($"entry bundle truncated in the length of entry {entries.Count}");
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(data);
            if (data.Length - 2 < length)
            {
                throw new FormatException($"entry bundle truncated in entry {entries.Count}: {length} bytes declared, {data.Length - 2} present");
            }

            entries.Add(data.Slice(2, length).ToArray());
            data = data[(2 + length)..];
        }

        return entries;
    }
}
