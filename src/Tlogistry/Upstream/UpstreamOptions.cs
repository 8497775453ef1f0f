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

    /// <summary>Upstream requests in flight at once; more wait up to <see cref="ResponseTimeout"/>, then get 503.</summary>
    public int MaxConcurrentRequests { get; set; } = 256;

    /// <summary>Registry patterns that may be proxied; empty means any registry not denied.</summary>
    public List<string> AllowRegistries { get; init; } = [];

    /// <summary>Registry patterns that are never proxied.</summary>
    public List<string> DenyRegistries { get; init; } = [];
}
