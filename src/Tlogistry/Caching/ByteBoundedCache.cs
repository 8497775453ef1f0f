using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Tlogistry.Caching;

/// <summary>
/// A map held in memory up to a number of bytes, not of entries: any client can name a new
/// tag, image or registry, so what a key costs is what bounds the map. Each entry is charged
/// what <see cref="Size"/> says of its key and value plus <see cref="EntryOverheadBytes"/>;
/// an entry that alone would exceed the bound is not kept. When full, the CLOCK policy (an
/// approximation of least recently used) evicts entries not read since the hand last passed.
/// Reads take no lock, so a warm path that only reads never waits; writes take one.
/// </summary>
internal sealed class ByteBoundedCache<TKey, TValue>
    where TKey : notnull
{
    /// <summary>What an entry costs besides its key and value: the dictionary slot, the entry, its clock node.</summary>
    public const int EntryOverheadBytes = 160;

    private readonly ConcurrentDictionary<TKey, Entry> _entries;
    private readonly LinkedList<Entry> _clock = new();
    private readonly Lock _gate = new();
    private long _heldBytes;

    /// <param name="capacityBytes">The most bytes held at any time; 0 keeps nothing.</param>
    /// <param name="size">The bytes a key and its value take (an estimate of their managed size).</param>
    public ByteBoundedCache(long capacityBytes, Func<TKey, TValue, long> size, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        ArgumentNullException.ThrowIfNull(size);
        CapacityBytes = capacityBytes;
        Size = size;
        _entries = new ConcurrentDictionary<TKey, Entry>(comparer);
    }

    public long CapacityBytes { get; }

    public Func<TKey, TValue, long> Size { get; }

    /// <summary>Bytes charged for the entries held now; never above <see cref="CapacityBytes"/>.</summary>
    public long HeldBytes => Interlocked.Read(ref _heldBytes);

    public int Count => _entries.Count;

    public bool TryGet(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            entry.Referenced = true;
            value = entry.Value;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>Keeps <paramref name="value"/> under <paramref name="key"/>, in place of any earlier value; false when it alone exceeds the bound (nothing is kept then).</summary>
    public bool Set(TKey key, TValue value)
    {
        var bytes = checked(Size(key, value) + EntryOverheadBytes);
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var old))
            {
                RemoveLocked(old);
            }

            if (bytes > CapacityBytes)
            {
                return false;
            }

            while (_heldBytes + bytes > CapacityBytes && _clock.Count > 0)
            {
                EvictOneLocked();
            }

            var entry = new Entry(key, value, bytes);
            entry.Node = _clock.AddLast(entry);
            _entries[key] = entry;
            Interlocked.Add(ref _heldBytes, bytes);
            return true;
        }
    }

    public bool Remove(TKey key)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                return false;
            }

            RemoveLocked(entry);
            return true;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
            _clock.Clear();
            Interlocked.Exchange(ref _heldBytes, 0);
        }
    }

    /// <summary>The hand sweeps from the oldest: an entry read since its last pass gets a second chance, the first one not read goes.</summary>
    private void EvictOneLocked()
    {
        while (_clock.First is { } node)
        {
            var entry = node.Value;
            if (!entry.Referenced)
            {
                RemoveLocked(entry);
                return;
            }

            entry.Referenced = false;
            _clock.RemoveFirst();
            _clock.AddLast(node);
        }
    }

    private void RemoveLocked(Entry entry)
    {
        _entries.TryRemove(new KeyValuePair<TKey, Entry>(entry.Key, entry));
        if (entry.Node is { List: not null } node)
        {
            _clock.Remove(node);
        }

        Interlocked.Add(ref _heldBytes, -entry.Bytes);
    }

    private sealed class Entry(TKey key, TValue value, long bytes)
    {
        private volatile bool _referenced;

        public TKey Key { get; } = key;

        public TValue Value { get; } = value;

        public long Bytes { get; } = bytes;

        public LinkedListNode<Entry>? Node { get; set; }

        public bool Referenced
        {
            get => _referenced;
            set => _referenced = value;
        }
    }
}
