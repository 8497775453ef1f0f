using Tlogistry.Caching;

namespace Tlogistry.Upstream;

/// <summary>
/// Bearer tokens per registry and scope, kept until shortly before they expire so that a
/// warm pull costs no token round trip. Any client can name a registry, and a registry can
/// answer any token, so the cache is bounded by the bytes it holds, not by a count: a token
/// over <see cref="MaxTokenLength"/> is never kept, and when <see cref="CapacityBytes"/> is
/// reached the least recently used go first (an expired token, never read again, among the first).
/// </summary>
internal sealed class TokenCache : IDisposable
{
    /// <summary>Registry tokens are a few KB of JWT; a longer one is refused, not cached.</summary>
    public const int MaxTokenLength = 16 * 1024;

    private readonly ByteBoundedCache<string, (string Token, DateTimeOffset Until)>? _cache;
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
            _cache = new ByteBoundedCache<string, (string Token, DateTimeOffset Until)>(capacityBytes, static (key, t) => SizeOf(key, t.Token), StringComparer.Ordinal);
        }
    }

    public long CapacityBytes { get; }

    /// <summary>Bytes held now, keys included; at most <see cref="CapacityBytes"/>.</summary>
    public long HeldBytes => _cache?.HeldBytes ?? 0;

    public long Count => _cache?.Count ?? 0;

    public string? Get(string key) =>
        _cache is not null && _cache.TryGet(key, out var t) && t.Until > _time.GetUtcNow() ? t.Token : null;

    /// <summary>Stores a token for <paramref name="lifetime"/> minus a margin for clock skew and transit.</summary>
    public void Put(string key, string token, TimeSpan lifetime)
    {
        if (_cache is null || token.Length > MaxTokenLength)
        {
            return;
        }

        var margin = TimeSpan.FromSeconds(Math.Min(30, lifetime.TotalSeconds / 5));
        _cache.Set(key, (token, _time.GetUtcNow() + lifetime - margin));
    }

    public void Remove(string key) => _cache?.Remove(key);

    /// <summary>Nothing to release: the cache holds managed memory only (kept disposable for its owners).</summary>
    public void Dispose()
    {
    }

    private static long SizeOf(string key, string token) => MemorySize.Of(key) + MemorySize.Of(token) + 16;
}
