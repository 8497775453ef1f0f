using Tlogistry.Oci;

namespace Tlogistry.Upstream;

/// <summary>
/// Where each registry's API lives: an explicit mapping (which may be plain http, e.g. a
/// local mirror) or https on the registry's API host.
/// </summary>
internal sealed class UpstreamEndpoints
{
    private readonly Dictionary<string, Uri> _map = new(StringComparer.OrdinalIgnoreCase);

    public UpstreamEndpoints(UpstreamOptions options)
    {
        foreach (var (host, url) in options.Map)
        {
            _map[Canonical(host)] = Parse(host, url);
        }
    }

    /// <summary>The base URL (scheme, authority and optional path prefix, no trailing slash) for a registry.</summary>
    public Uri BaseFor(ImageName name) =>
        _map.TryGetValue(name.Registry, out var mapped) ? mapped : new Uri("https://" + name.ApiHost);

    /// <summary>Parses one <c>HOST=URL</c> flag value.</summary>
    public static KeyValuePair<string, string> ParseFlag(string value)
    {
        var eq = value.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == value.Length - 1)
        {
            throw new FormatException($"--upstream expects HOST=URL, e.g. docker.io=http://127.0.0.1:5000; got \"{value}\"");
        }

        var host = value[..eq].Trim();
        var url = value[(eq + 1)..].Trim();
        _ = Parse(host, url);
        return new(host, url);
    }

    private static Uri Parse(string host, string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw new FormatException($"upstream for {host} must be an http or https URL without query, got \"{url}\"");
        }

        return new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/'));
    }

    private static string Canonical(string host) => ImageNameParser.CanonicalRegistry(host);
}
