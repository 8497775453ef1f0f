using Microsoft.Extensions.Caching.Memory;

namespace Tlogistry.Upstream;

/// <summary>
/// Bearer tokens per registry and scope, kept until shortly before they expire so that a
/// warm pull costs no token round trip. Any client can name a registry, and a registry can
/// answer any token, so the cache is bounded by the bytes it holds, not by a count: a token
/// over <see cref="MaxTokenLength"/> is never kept, and when <see cref="CapacityBytes"/> is
/// reached a compaction drops the least recently used quarter.
/// </summary>
internal sealed class TokenCache : IDisposable
{
    /// <summary>Registry tokens are a few KB of JWT; a longer one is refused, not cached.</summary>
    public const int MaxTokenLength = 16 * 1024;

    /// <summary>What an entry costs besides its strings: the entry, its value and the key's slot.</summary>
    private const int EntryOverheadBytes = 256;

    private readonly MemoryCache? _cache;
    private readonly TimeProvider _time;

    public TokenCache(TimeProvider time, UpstreamOptions options)
        : this(time, options.TokenCacheBytes)
    {
    }

    /// <param name="capacityBytes">Bytes of tokens and keys to hold; 0 turns the cache off.</param>
    public TokenCache(TimeProvider time, long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        _time = time;
        CapacityBytes = capacityBytes;
        if (capacityBytes > 0)
        {
            _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = capacityBytes, CompactionPercentage = 0.25, TrackStatistics = true });
        }
    }

    public long CapacityBytes { get; }

    /// <summary>Bytes held now (an estimate while a compaction runs).</summary>
    public long HeldBytes => _cache?.GetCurrentStatistics()?.CurrentEstimatedSize ?? 0;

    public long Count => _cache?.Count ?? 0;

    public string? Get(string key) =>
        _cache is not null && _cache.TryGetValue(key, out (string Token, DateTimeOffset Until) t) && t.Until > _time.GetUtcNow() ? t.Token : null;

    /// <summary>Stores a token for <paramref name="lifetime"/> minus a margin for clock skew and transit.</summary>
    public void Put(string key, string token, TimeSpan lifetime)
    {
        var size = SizeOf(key, token);
        if (_cache is null || token.Length > MaxTokenLength || size > CapacityBytes)
        {
            return;
        }

        var margin = TimeSpan.FromSeconds(Math.Min(30, lifetime.TotalSeconds / 5));
        using var entry = _cache.CreateEntry(key);
        entry.Size = size;
        entry.Value = (token, _time.GetUtcNow() + lifetime - margin);

        // Expired tokens go first when the cache compacts.
        entry.AbsoluteExpirationRelativeToNow = lifetime;
    }

    public void Remove(string key) => _cache?.Remove(key);

    public void Dispose() => _cache?.Dispose();

    /// <summary>Strings are UTF-16: two bytes a character.</summary>
    private static long SizeOf(string key, string token) => (2L * (key.Length + token.Length)) + EntryOverheadBytes;
}
