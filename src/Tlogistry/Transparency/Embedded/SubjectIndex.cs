using System.Buffers.Binary;

namespace Tlogistry.Transparency.Embedded;

/// <summary>
/// Which log indexes hold an entry about a subject (for sightings: the SHA-256 of the tag
/// reference), so the embedded log can be searched like Rekor v1 is. It is derived from the
/// log's own leaves and kept on disk beside them, in <c>subjects/</c>: 256 bucket files (by
/// the subject hash's first byte) of 16-byte records, the first 8 bytes of the subject hash
/// and the index. A lookup reads one bucket (about 16 bytes × entries / 256: 64 KiB at a
/// million entries); nothing is held in memory. A shared prefix only costs a candidate the
/// reader then finds not to match, so a stray record is harmless; a missing one is not, so
/// the file <c>indexed</c> names the size below which every record is synced, and the log
/// adds what lies between it and its checkpoint again at start.
/// </summary>
internal sealed class SubjectIndex
{
    private const int RecordSize = 16;

    // The marker: the synced log size, then each bucket's synced record count.
    private const int MarkerSize = 8 * 257;

    /// <summary>How many entries may be added before the buckets are synced and <c>indexed</c> moves on.</summary>
    public const int SyncEvery = 4096;

    private readonly string _directory;
    private readonly Lock _lock = new();
    private readonly HashSet<int> _dirty = [];
    private long _synced;

    public SubjectIndex(string logDirectory)
    {
        _directory = Path.Combine(logDirectory, "subjects");
        System.IO.Directory.CreateDirectory(_directory);
        var marker = MarkerPath;
        long[]? counts = null;
        if (File.Exists(marker))
        {
            var bytes = File.ReadAllBytes(marker);
            if (bytes.Length == MarkerSize)
            {
                _synced = BinaryPrimitives.ReadInt64BigEndian(bytes);
                counts = new long[256];
                for (var bucket = 0; bucket < 256; bucket++)
                {
                    counts[bucket] = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(8 * (bucket + 1)));
                }
            }
            else
            {
                Damage = $"its marker {marker} does not parse ({bytes.Length} bytes)";
            }
        }

        for (var bucket = 0; bucket < 256; bucket++)
        {
            // A record torn by a stop mid-write is dropped; the log adds its entry again.
            var path = BucketPath(bucket);
            var length = File.Exists(path) ? new FileInfo(path).Length : 0;
            if (length % RecordSize is var torn and > 0)
            {
                using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
                fs.SetLength(length - torn);
                length -= torn;
            }

            // Fewer records than were synced: lost or replaced, so lookups would miss entries.
            if (counts is not null && length / RecordSize < counts[bucket] && Damage is null)
            {
                Damage = $"bucket {path} holds {length / RecordSize} records, but {counts[bucket]} were synced";
            }
        }
    }

    /// <summary>Why the index on disk cannot be trusted to hold every synced entry, or null: the log then rebuilds it (<see cref="Clear"/>).</summary>
    public string? Damage { get; private set; }

    /// <summary>Empties the index so that the log adds every entry again.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            for (var bucket = 0; bucket < 256; bucket++)
            {
                File.Delete(BucketPath(bucket));
            }

            File.Delete(MarkerPath);
            _dirty.Clear();
            _synced = 0;
            Damage = null;
        }
    }

    /// <summary>The folder of the bucket files and the marker.</summary>
    public string Directory => _directory;

    /// <summary>The log size below which every entry's record is durable: the start of what the log must add again.</summary>
    public long Synced
    {
        get
        {
            lock (_lock)
            {
                return _synced;
            }
        }
    }

    /// <summary>Adds entries (subject hash, index), appended to their buckets unsynced.</summary>
    public void Add(IEnumerable<(byte[] Subject, long Index)> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var byBucket = entries.GroupBy(e => (int)e.Subject[0]);
        var record = new byte[RecordSize];
        lock (_lock)
        {
            foreach (var group in byBucket)
            {
                using var fs = new FileStream(BucketPath(group.Key), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
                foreach (var (subject, index) in group)
                {
                    BinaryPrimitives.WriteInt64BigEndian(record, Key(subject));
                    BinaryPrimitives.WriteInt64BigEndian(record.AsSpan(8), index);
                    fs.Write(record);
                }

                _dirty.Add(group.Key);
            }
        }
    }

    public void Add(ReadOnlySpan<byte> subjectHash, long index) => Add([(subjectHash.ToArray(), index)]);

    /// <summary>
    /// Syncs the buckets written since the last sync and records that every entry below
    /// <paramref name="size"/> is durable here.
    /// </summary>
    public void Sync(long size)
    {
        lock (_lock)
        {
            foreach (var bucket in _dirty)
            {
                using var fs = new FileStream(BucketPath(bucket), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
                fs.Flush(flushToDisk: true);
            }

            _dirty.Clear();
            DurableFile.SyncDirectory(_directory);
            var bytes = new byte[MarkerSize];
            BinaryPrimitives.WriteInt64BigEndian(bytes, size);
            for (var bucket = 0; bucket < 256; bucket++)
            {
                var path = BucketPath(bucket);
                var records = File.Exists(path) ? new FileInfo(path).Length / RecordSize : 0;
                BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(8 * (bucket + 1)), records);
            }

            DurableFile.Write(MarkerPath, bytes, atomicReplace: true);
            _synced = size;
        }
    }

    /// <summary>The indexes of entries whose subject may be <paramref name="subjectHash"/>, lowest first.</summary>
    public IReadOnlyList<long> Find(ReadOnlySpan<byte> subjectHash)
    {
        var key = Key(subjectHash);
        var path = BucketPath(subjectHash[0]);
        var found = new SortedSet<long>();
        FileStream fs;
        try
        {
            // Buckets only grow: read without the lock the committer's Add takes, up to the
            // whole records present now, so a crowded bucket does not hold up appends.
            fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            return [];
        }

        using (fs)
        {
            var remaining = fs.Length - (fs.Length % RecordSize);
            var chunk = new byte[RecordSize * 4096];
            while (remaining > 0)
            {
                var want = (int)Math.Min(chunk.Length, remaining);
                fs.ReadExactly(chunk, 0, want);
                remaining -= want;
                for (var at = 0; at < want; at += RecordSize)
                {
                    if (BinaryPrimitives.ReadInt64BigEndian(chunk.AsSpan(at)) == key)
                    {
                        found.Add(BinaryPrimitives.ReadInt64BigEndian(chunk.AsSpan(at + 8)));
                    }
                }
            }
        }

        return [.. found];
    }

    private string MarkerPath => Path.Combine(_directory, "indexed");

    private string BucketPath(int bucket) => Path.Combine(_directory, bucket.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));

    private static long Key(ReadOnlySpan<byte> subjectHash) =>
        subjectHash.Length >= 8 ? BinaryPrimitives.ReadInt64BigEndian(subjectHash) : throw new ArgumentException("a subject hash has at least 8 bytes", nameof(subjectHash));
}
