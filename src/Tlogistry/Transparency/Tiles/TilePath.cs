using System.Globalization;
using System.Text;

namespace Tlogistry.Transparency.Tiles;

/// <summary>
/// c2sp.org/tlog-tiles paths: "tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]" and "tile/entries/&lt;N&gt;[.p/&lt;W&gt;]".
/// N is written in zero-padded groups of three digits, every group but the last prefixed
/// with "x", so no directory holds more than 1000 children. Widths follow <see cref="TileRef"/>:
/// 1..255 is partial, 256 is full (no suffix).
/// </summary>
internal static class TilePath
{
    private const string Prefix = "tile/";
    private const string EntriesPrefix = "tile/entries/";
    private const string PartialMarker = ".p/";

    public static string Hash(int level, long index, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, TileMath.MaxLevel);
        var sb = new StringBuilder(Prefix).Append(level).Append('/');
        return AppendIndexAndWidth(sb, index, width).ToString();
    }

    public static string Entries(long index, int width) =>
        AppendIndexAndWidth(new StringBuilder(EntriesPrefix), index, width).ToString();

    /// <summary>
    /// Accepts exactly the strings <see cref="Hash"/> and <see cref="Entries"/> produce. The
    /// path is parsed loosely and then re-encoded and compared, so leading zeros, "x000"
    /// groups, empty segments, ".." and anything else non-canonical fail as one rule.
    /// </summary>
    public static bool TryParse(string? path, out TileRef tile)
    {
        tile = default;
        if (path is null || !path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = path.AsSpan(Prefix.Length);
        var slash = rest.IndexOf('/');
        if (slash < 0)
        {
            return false;
        }

        var levelText = rest[..slash];
        var isEntries = levelText.SequenceEqual("entries");
        var level = 0;
        if (!isEntries && !TryParseSmall(levelText, 2, out level))
        {
            return false;
        }

        if (level > TileMath.MaxLevel || !TryParseIndexAndWidth(rest[(slash + 1)..], out var index, out var width))
        {
            return false;
        }

        var candidate = new TileRef(level, index, width, isEntries);
        if (!string.Equals(candidate.Path, path, StringComparison.Ordinal))
        {
            return false;
        }

        tile = candidate;
        return true;
    }

    /// <summary>The hash tiles, level 0 upwards, that together hold every full node of a tree of <paramref name="size"/>.</summary>
    public static IEnumerable<TileRef> TilesForTreeSize(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return Enumerate(size);

        static IEnumerable<TileRef> Enumerate(long size)
        {
            for (var level = 0; level <= TileMath.MaxLevel && TileMath.NodeCount(size, level) > 0; level++)
            {
                var full = TileMath.FullTiles(size, level);
                for (long i = 0; i < full; i++)
                {
                    yield return new TileRef(level, i, TileMath.TileWidth, IsEntries: false);
                }

                var partial = TileMath.PartialWidth(size, level);
                if (partial > 0)
                {
                    yield return new TileRef(level, full, partial, IsEntries: false);
                }
            }
        }
    }

    private static StringBuilder AppendIndexAndWidth(StringBuilder sb, long index, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, TileMath.TileWidth);

        var digits = index.ToString(CultureInfo.InvariantCulture);
        digits = digits.PadLeft((digits.Length + 2) / 3 * 3, '0');
        for (var i = 0; i < digits.Length; i += 3)
        {
            var last = i + 3 == digits.Length;
            sb.Append(last ? "" : "x").Append(digits, i, 3).Append(last ? "" : "/");
        }

        return width == TileMath.TileWidth ? sb : sb.Append(PartialMarker).Append(width);
    }

    private static bool TryParseIndexAndWidth(ReadOnlySpan<char> text, out long index, out int width)
    {
        index = 0;
        width = TileMath.TileWidth;
        var marker = text.IndexOf(PartialMarker);
        if (marker >= 0)
        {
            if (!TryParseSmall(text[(marker + PartialMarker.Length)..], 3, out width) || width is < 1 or >= TileMath.TileWidth)
            {
                return false;
            }

            text = text[..marker];
        }

        while (true)
        {
            var slash = text.IndexOf('/');
            var group = slash < 0 ? text : text[..slash];
            if (slash >= 0)
            {
                if (group.Length == 0 || group[0] != 'x')
                {
                    return false;
                }

                group = group[1..];
            }

            // Overflow is checked before multiplying so a long run of groups cannot wrap.
            if (group.Length != 3 || !TryParseSmall(group, 3, out var value) || index > (long.MaxValue - value) / 1000)
            {
                return false;
            }

            index = (index * 1000) + value;
            if (slash < 0)
            {
                return true;
            }

            text = text[(slash + 1)..];
        }
    }

    // ASCII digits only (int.Parse would allow signs, spaces and other scripts' digits).
    private static bool TryParseSmall(ReadOnlySpan<char> text, int maxDigits, out int value)
    {
        value = 0;
        if (text.Length == 0 || text.Length > maxDigits)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }
}
