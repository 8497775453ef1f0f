using System.Net;
using Tlogistry.Oci;
using Tlogistry.Transparency;
using Tlogistry.Upstream.Guard;

namespace Tlogistry.Upstream;

/// <summary>
/// What a sighting records as its <c>upstream</c>: by default the registry's canonical API URL
/// (<c>https://registry-1.docker.io/v2/library/alpine/manifests/3.16.0</c>), whatever address
/// the proxy fetched it from, so a log entry, public and permanent, names no internal host.
/// <c>mapped</c> records the <c>--upstream</c> address instead, and is refused when the log is
/// a Rekor log on a public host (see <see cref="IsPublic"/>).
/// </summary>
internal sealed class UpstreamRecord
{
    private UpstreamRecord(bool mapped) => Mapped = mapped;

    public static UpstreamRecord Canonical { get; } = new(false);

    /// <summary>True when the fetched (possibly internal) address is recorded.</summary>
    public bool Mapped { get; }

    /// <exception cref="FormatException">Not canonical or mapped, or mapped with a public log.</exception>
    public static UpstreamRecord Parse(string? text, LogChoice log)
    {
        ArgumentNullException.ThrowIfNull(log);
        switch ((text ?? "").Trim().ToLowerInvariant())
        {
            case "" or "canonical":
                return Canonical;
            case "mapped" when IsPublic(log):
                throw new FormatException($"--record-upstream mapped would write --upstream addresses into the log at {log.PublicUrl ?? log.Url}, which is on a public host; keep canonical");
            case "mapped":
                return new UpstreamRecord(true);
            default:
                throw new FormatException($"--record-upstream must be canonical or mapped, got \"{text}\"");
        }
    }

    /// <summary>
    /// A Rekor log anyone may read: its host (the public URL when given) is neither a loopback
    /// or private address nor an in-cluster or local name (no dot, <c>localhost</c>, <c>.local</c>,
    /// <c>.internal</c>, <c>.svc</c>, <c>.cluster.local</c>, <c>.home.arpa</c>). The embedded log
    /// is judged by the operator, who decides who may reach the proxy's <c>/tile</c>.
    /// </summary>
    public static bool IsPublic(LogChoice log)
    {
        ArgumentNullException.ThrowIfNull(log);
        if ((log.PublicUrl ?? log.Url) is not { } url)
        {
            return false;
        }

        var host = url.IdnHost.TrimEnd('.');
        if (IPAddress.TryParse(host, out var address))
        {
            return AddressPolicy.Refusal(address) is null;
        }

        string[] local = [".local", ".internal", ".svc", ".cluster.local", ".home.arpa", ".localhost"];
        return host.Contains('.', StringComparison.Ordinal)
            && !local.Any(suffix => host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The URL recorded for a tag fetched from <paramref name="fetched"/>.</summary>
    public string For(ImageName name, string tag, Uri fetched)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(fetched);
        return Mapped ? fetched.ToString() : $"https://{name.Registry.ApiAuthority}/v2/{name.Repository}/manifests/{tag}";
    }
}
