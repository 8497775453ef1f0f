using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Tlogistry.Oci;
using Tlogistry.Store;

namespace Tlogistry.Ledger;

/// <summary>
/// Which stored row of each tag this process has verified (its bundle checked against the
/// log's key, its checkpoint proven consistent), as <see cref="StoredPin.Content"/>, with the
/// log time the verification found. A pin read again from the store is served from its row
/// when the row is the one verified for its tag; any change to the row makes it another row,
/// verified in full, and a tag whose pin is replaced is forgotten, so its old row never counts
/// again. Entries are digests (of the tag and of the row) rather than pins, so the tags of a
/// large store fit where only a few pins would (<see cref="VerifiedPins"/> keeps those). Bounded by bytes in two generations:
/// when the newer fills half the bound, the older is dropped, and a row found in the older
/// moves to the newer, so the rows pulled least recently go first.
/// </summary>
internal sealed class VerifiedRows
{
    /// <summary>About 320,000 tags (fewer than half the bound's entries: see <see cref="PerGeneration"/>).</summary>
    public const long DefaultCapacityBytes = 32L * 1024 * 1024;

    // A Dictionary<Tag, Row> entry (all fields 8-byte aligned): hash code and chain index, key,
    // value, plus its bucket.
    internal const int EntryBytes = 4 + 4 + 16 + 24 + 4;

    // Two generations, each a dictionary whose arrays may be up to twice its entries while it
    // grows: entries per generation are a quarter of what the bound would hold, so the arrays
    // never pass it.
    private const int PerGeneration = 4;

    private const long NoTime = long.MinValue;

    private readonly Lock _lock = new();
    private readonly int _generationEntries;
    private Dictionary<Tag, Row> _newer = [];
    private Dictionary<Tag, Row> _older = [];

    public VerifiedRows(long capacityBytes = DefaultCapacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        CapacityBytes = capacityBytes;
        _generationEntries = (int)Math.Min(int.MaxValue, capacityBytes / EntryBytes / PerGeneration);
    }

    public long CapacityBytes { get; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _newer.Count + _older.Count;
            }
        }
    }

    /// <summary>Whether <paramref name="row"/> is the row verified for the tag; <paramref name="logTime"/> is the log time found then.</summary>
    public bool TryGet(TagReference reference, UInt128 row, out DateTimeOffset? logTime)
    {
        var tag = Key(reference);
        lock (_lock)
        {
            if (!_newer.TryGetValue(tag, out var held))
            {
                if (!_older.Remove(tag, out held))
                {
                    logTime = null;
                    return false;
                }

                AddNewer(tag, held);
            }

            logTime = held.Ticks == NoTime ? null : new DateTimeOffset(held.Ticks, TimeSpan.Zero);
            return held.Content == Tag.Of(row);
        }
    }

    public void Remember(TagReference reference, UInt128 row, DateTimeOffset? logTime)
    {
        var tag = Key(reference);
        lock (_lock)
        {
            _older.Remove(tag);
            AddNewer(tag, new Row(Tag.Of(row), logTime?.UtcTicks ?? NoTime));
        }
    }

    /// <summary>The tag's pin was replaced: the row verified for it before no longer counts.</summary>
    public void Forget(TagReference reference)
    {
        var tag = Key(reference);
        lock (_lock)
        {
            _newer.Remove(tag);
            _older.Remove(tag);
        }
    }

    /// <summary>Forgets every row (a log accepted anew: nothing verified against the old one counts).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _newer = [];
            _older = [];
        }
    }

    private void AddNewer(Tag tag, Row row)
    {
        if (_generationEntries == 0)
        {
            return;
        }

        if (_newer.Count >= _generationEntries && !_newer.ContainsKey(tag))
        {
            _older = _newer;
            _newer = [];
        }

        _newer[tag] = row;
    }

    private static Tag Key(TagReference reference)
    {
        Span<byte> sum = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(reference.Canonical), sum);
        return new Tag(BinaryPrimitives.ReadUInt64BigEndian(sum), BinaryPrimitives.ReadUInt64BigEndian(sum[8..]));
    }

    // 16 bytes as two 8-byte halves: UInt128 is 16-byte aligned, which would pad every entry.
    private readonly record struct Tag(ulong High, ulong Low)
    {
        public static Tag Of(UInt128 value) => new((ulong)(value >> 64), (ulong)value);
    }

    private readonly record struct Row(Tag Content, long Ticks);
}
