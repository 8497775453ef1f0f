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
}
