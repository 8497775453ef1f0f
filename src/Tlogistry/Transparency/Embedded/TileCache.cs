namespace Tlogistry.Transparency.Embedded;

/// <summary>
/// Tiles already checked against the checkpoint, least recently used first out, bounded by
/// the bytes they hold (not by their count: an entry bundle can be far larger than a hash
/// tile). Full tiles never change, so a cached one never goes stale.
/// </summary>
internal sealed class TileCache<T>
    where T : class
{
    private readonly long _capacity;
    private readonly Lock _lock = new();
    private readonly Dictionary<(int Level, long Index), LinkedListNode<(int Level, long Index, T Value, long Bytes)>> _map = [];
    private readonly LinkedList<(int Level, long Index, T Value, long Bytes)> _order = new();
    private long _bytes;

    /// <param name="capacityBytes">The most bytes held at once; a tile larger than that is not kept.</param>
    public TileCache(long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        _capacity = capacityBytes;
    }

    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    public T? Get(int level, long index)
    {
        lock (_lock)
        {
            if (!_map.TryGetValue((level, index), out var node))
            {
                return null;
            }

            _order.Remove(node);
            _order.AddFirst(node);
            return node.Value.Value;
        }
    }

    public void Put(int level, long index, T value, long bytes)
    {
        if (bytes > _capacity)
        {
            return;
        }

        lock (_lock)
        {
            if (_map.ContainsKey((level, index)))
            {
                return;
            }

            _map[(level, index)] = _order.AddFirst((level, index, value, bytes));
            _bytes += bytes;
            while (_bytes > _capacity && _order.Last is { } last)
            {
                _order.RemoveLast();
                _map.Remove((last.Value.Level, last.Value.Index));
                _bytes -= last.Value.Bytes;
            }
        }
    }
}
