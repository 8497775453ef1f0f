using System.Buffers.Binary;

namespace Tlogistry.Transparency.Embedded;

/// <summary>
/// Which log indexes hold an entry about a subject (for sightings: the SHA-256 of the tag
/// reference), so the embedded log can be searched like Rekor v1 is. It is derived from the
/// log's own leaves, filled while the log is read back at start and on every append, and
/// lives only in memory: it can never disagree with the tiles, which stay the only truth.
/// Keys are the first 8 bytes of the subject hash; a shared prefix only costs a candidate
/// that the reader then finds not to match. A lookup is O(1).
/// </summary>
internal sealed class SubjectIndex
{
    private readonly Lock _lock = new();

    // Nearly every subject has one entry; the rare second one goes to the overflow lists.
    private readonly Dictionary<long, long> _first = [];
    private readonly Dictionary<long, List<long>> _more = [];

    public void Add(ReadOnlySpan<byte> subjectHash, long index)
    {
        var key = Key(subjectHash);
        lock (_lock)
        {
            if (_first.TryAdd(key, index))
            {
                return;
            }

            if (!_more.TryGetValue(key, out var list))
            {
                _more[key] = list = [];
            }

            list.Add(index);
        }
    }

    /// <summary>The indexes of entries whose subject may be <paramref name="subjectHash"/>, lowest first.</summary>
    public IReadOnlyList<long> Find(ReadOnlySpan<byte> subjectHash)
    {
        var key = Key(subjectHash);
        lock (_lock)
        {
            if (!_first.TryGetValue(key, out var index))
            {
                return [];
            }

            return _more.TryGetValue(key, out var list) ? [index, .. list] : [index];
        }
    }

    private static long Key(ReadOnlySpan<byte> subjectHash) =>
        subjectHash.Length >= 8 ? BinaryPrimitives.ReadInt64BigEndian(subjectHash) : throw new ArgumentException("a subject hash has at least 8 bytes", nameof(subjectHash));
}
