using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Tlogistry.Store;

/// <summary>
/// Where a page of moves ended: the last row's last-seen time (Unix microseconds, the finest
/// unit both stores keep exactly) and its row number, which breaks ties. Spelled
/// <c>MICROS-ROW</c>; clients pass it back unread.
/// </summary>
internal readonly record struct MoveCursor(long LastSeenMicros, long Row)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{LastSeenMicros}-{Row}");

    public static bool TryParse(string? text, [NotNullWhen(true)] out MoveCursor? cursor)
    {
        cursor = null;
        var dash = text?.IndexOf('-', StringComparison.Ordinal) ?? -1;
        if (dash <= 0
            || !long.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var micros)
            || !long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var row))
        {
            return false;
        }

        // A forged cursor may name a time no store can hold; refuse it here so every store answers
        // a bad cursor the same way instead of overflowing when it turns the micros into a time.
        if (!InRange(micros))
        {
            return false;
        }

        cursor = new MoveCursor(micros, row);
        return true;
    }

    /// <summary>The cursor a store was handed: one it gave out, or a caller's mistake.</summary>
    /// <exception cref="ArgumentException">Not a cursor.</exception>
    public static MoveCursor? Of(MoveQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.After is null)
        {
            return null;
        }

        return TryParse(query.After, out var cursor) ? cursor : throw new ArgumentException("not a cursor of a page of moves", nameof(query));
    }

    private static readonly long MaxMicros = (DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    /// <summary>Whether <paramref name="micros"/> after the epoch is a time <see cref="DateTimeOffset"/> can hold.</summary>
    private static bool InRange(long micros)
    {
        try
        {
            var ticks = checked(micros * TimeSpan.TicksPerMicrosecond);
            return micros <= MaxMicros && checked(DateTimeOffset.UnixEpoch.UtcTicks + ticks) <= DateTimeOffset.MaxValue.UtcTicks;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    public static long Micros(DateTimeOffset at) => (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    public static DateTimeOffset FromMicros(long micros) => DateTimeOffset.UnixEpoch.AddTicks(checked(micros * TimeSpan.TicksPerMicrosecond));
}
