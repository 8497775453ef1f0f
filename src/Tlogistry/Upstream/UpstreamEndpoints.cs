using Tlogistry.Oci;

namespace Tlogistry.Upstream;

/// <summary>
/// Where each registry's API lives: an explicit mapping (which may be plain http, e.g. a
/// local mirror) or https on the registry's API host. A mapping gives a registry an address,
/// not a second name: the authority (host and port) a mapping points at is refused as a registry name of its own
/// (<see cref="Refusal"/>), so content pinned as <c>docker.io</c> cannot be pulled again under
/// the address of its mirror. Two registries the operator maps to one URL stay two registries:
/// that is a choice made in configuration, not a spelling a client can use.
/// </summary>
internal sealed class UpstreamEndpoints
{
    private readonly Dictionary<RegistryHost, Uri> _map = [];

    // Mapping target authority (host as the URL parser writes it, and port) -> the registry mapped there.
    private readonly Dictionary<string, RegistryHost> _targets = new(StringComparer.Ordinal);

    public UpstreamEndpoints(UpstreamOptions options)
    {
        foreach (var (key, url) in options.Map)
        {
            var registry = RegistryHost.Parse(key.Trim(), $"--upstream {key}");
            var target = Parse(key, url);
            if (_map.TryGetValue(registry, out var earlier) && earlier != target)
            {
                throw new FormatException($"--upstream maps {registry} twice, to {earlier} and to {target}");
            }

            _map[registry] = target;
            _targets[Authority(target.Host, target.Port)] = registry;
        }
    }

    /// <summary>The registries that have a mapping: the operator chose their addresses.</summary>
    public IEnumerable<RegistryHost> Mapped => _map.Keys;

    /// <summary>The base URL (scheme, authority and optional path prefix, no trailing slash) for a registry.</summary>
    public Uri BaseFor(ImageName name) => BaseFor(name.Registry);

    /// <inheritdoc cref="BaseFor(ImageName)"/>
    public Uri BaseFor(RegistryHost registry) =>
        _map.TryGetValue(registry, out var mapped) ? mapped : new Uri("https://" + registry.ApiAuthority);

    /// <summary>
    /// Why a registry name is refused here, or null: a name that is not itself mapped but names
    /// the host and port a mapping points at is that mapped registry's address, not a registry.
    /// </summary>
    public string? Refusal(RegistryHost registry)
    {
        if (_map.ContainsKey(registry) || !_targets.TryGetValue(Authority(registry.Host, registry.Port ?? RegistryHost.DefaultPort), out var owner))
        {
            return null;
        }

        return $"{registry} is the upstream address of {owner} on this proxy, not a registry name; pull {owner}/<repository> instead";
    }

    private static string Authority(string host, int port) => $"{host}:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>Parses one <c>HOST=URL</c> flag value.</summary>
    public static KeyValuePair<string, string> ParseFlag(string value)
    {
        var eq = value.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == value.Length - 1)
        {
            throw new FormatException($"--upstream expects HOST=URL, e.g. docker.io=http://127.0.0.1:5000; got \"{value}\"");
        }

        var host = RegistryHost.Parse(value[..eq].Trim(), "--upstream").Value;
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
}
