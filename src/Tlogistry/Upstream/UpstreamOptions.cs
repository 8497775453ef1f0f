namespace Tlogistry.Upstream;

/// <summary>Upstream settings, bound from configuration section <c>Tlogistry:Upstream</c>.</summary>
internal sealed class UpstreamOptions
{
    /// <summary>Registry host → base URL overrides, e.g. <c>docker.io</c> → <c>http://127.0.0.1:5000</c>.</summary>
    public Dictionary<string, string> Map { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Time allowed to open a connection to a registry.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time allowed for a registry to answer with response headers.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest pause allowed between two chunks of an upstream body.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Total time upstream may take over one exchange: every round trip a request makes (the
    /// request, a token, the retry) with headers and body. Blobs get more, see <see cref="BlobMinimumRate"/>.
    /// </summary>
    public TimeSpan ExchangeTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Bytes per second a blob body must average: each byte received extends a blob's
    /// <see cref="ExchangeTimeout"/> by 1/rate seconds, so a big blob streams for as long as it
    /// moves, and a drip runs out of time.
    /// </summary>
    public long BlobMinimumRate { get; set; } = 32 * 1024;

    /// <summary>Bytes of Bearer tokens held in memory (their keys included); 0 turns token caching off.</summary>
    public long TokenCacheBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Upstream requests in flight at once; more wait up to <see cref="ResponseTimeout"/>, then get 503.</summary>
    public int MaxConcurrentRequests { get; set; } = 256;

    /// <summary>Registry patterns that may be proxied; empty means any registry not denied.</summary>
    public List<string> AllowRegistries { get; init; } = [];

    /// <summary>Registry patterns that are never proxied.</summary>
    public List<string> DenyRegistries { get; init; } = [];

    /// <summary>Refuses settings that would leave an exchange unbounded or the cache meaningless.</summary>
    public void Validate()
    {
        if (ExchangeTimeout <= TimeSpan.Zero)
        {
            throw new FormatException($"Upstream:ExchangeTimeout must be positive, got {ExchangeTimeout}");
        }

        if (BlobMinimumRate <= 0)
        {
            throw new FormatException($"Upstream:BlobMinimumRate must be at least 1 byte per second, got {BlobMinimumRate}");
        }

        if (TokenCacheBytes < 0)
        {
            throw new FormatException($"Upstream:TokenCacheBytes must be 0 (off) or more, got {TokenCacheBytes}");
        }
    }
}
