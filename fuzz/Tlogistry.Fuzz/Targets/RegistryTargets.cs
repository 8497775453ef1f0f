using System.Globalization;
using Tlogistry.Oci;
using Tlogistry.Upstream;
using static Tlogistry.Fuzzing.PropertyViolation;

namespace Tlogistry.Fuzzing;

/// <summary>
/// One registry, one name: a spelling of a registry host the proxy accepts must reach an upstream
/// endpoint that no other accepted name reaches. The input is a registry host as typed in an image
/// name; it is judged against a fixed set of registries, two of them mapped as an operator would.
/// </summary>
internal static class RegistryTargets
{
    /// <summary>The upstream mappings every check runs with.</summary>
    public static readonly UpstreamEndpoints Endpoints = new(new UpstreamOptions
    {
        Map =
        {
            ["docker.io"] = "https://127.0.0.1:5443",
            ["registry.test:5000"] = "http://[2001:db8::7]:5000/mirror",
        },
    });

    /// <summary>Registries in their one name, whose endpoints accepted inputs are compared with.</summary>
    public static readonly string[] Known =
    [
        "docker.io", "registry.test:5000", "ghcr.io", "quay.io", "127.0.0.1:8443", "10.0.0.1", "[2001:db8::1]:5000",
        "[::1]:5000", "localhost:5000", "eu.gcr.io",
    ];

    private static readonly (RegistryHost Host, string Endpoint)[] KnownEndpoints =
        [.. Known.Select(k => RegistryHost.Parse(k, "known")).Select(h => (h, Endpoint(h)))];

    private static readonly string[] Tokens =
    [
        ".", ":", ":443", ":0443", ":5443", ":05443", ":65536", "[", "]", "::", "::ffff:", "0x", "0x7f", "0177", "127", "1",
        "2130706433", "127.1", "127.0.0.01", "DOCKER", "docker.io", "index.", "registry-1.", "%25eth0", "0:0:0:0:0:0:0:1",
        "ghcr.io", "GHCR.IO", "2001:DB8::1", "localhost", "-", "xn--",
    ];

    private static readonly string[] Seeds =
    [
        "docker.io", "docker.io:443", "index.docker.io", "registry-1.docker.io:443", "DOCKER.IO", "docker.io.",
        "127.0.0.1:5443", "127.0.0.01:5443", "2130706433:5443", "127.1:5443", "0x7f.0.0.1:5443", "0177.0.0.1:5443",
        "[::ffff:127.0.0.1]:5443", "[::ffff:7f00:1]:5443", "registry.test:5000", "REGISTRY.test:5000", "registry.test:05000",
        "[2001:db8::7]:5000", "[2001:DB8::7]:5000", "[2001:db8:0:0:0:0:0:7]:5000", "ghcr.io", "ghcr.io:443", "ghcr.io:0443",
        "127.0.0.1:8443", "[::1]:5000", "[0:0:0:0:0:0:0:1]:5000", "[fe80::1%25eth0]", "10.0.0.1:443", "012.0.0.1", "10.1",
    ];

    public static readonly FuzzTarget RegistryHostTarget = FuzzTarget.ForText(
        "registry-host", "RegistryHost.TryParse: accepted spellings reaching one endpoint have one name", Check, Seeds, Tokens);

    public static string Check(string input)
    {
        if (!RegistryHost.TryParse(input, out var host, out var error))
        {
            Require(host is null, "TryParse failed but returned a host");
            Require(error.Length is > 0 and <= 2048, "error message of unbounded length");
            return "error: " + FuzzInput.Shape(error);
        }

        // The one name is a fixed point, lowercase, and never names the default port.
        Require(RegistryHost.TryParse(host.Value, out var again, out _) && again.Equals(host), $"{host} does not re-parse to itself");
        Require(!host.Value.Any(char.IsAsciiLetterUpper), $"{host} is not lowercase");
        Require(host.Port is not RegistryHost.DefaultPort || !ImageNameParser.NamesRegistry(host.Host), $"{host} names port 443");

        if (Endpoints.Refusal(host) is not null)
        {
            return "refused: mapping address";
        }

        var endpoint = Endpoint(host);
        foreach (var (known, knownEndpoint) in KnownEndpoints)
        {
            Require(
                endpoint != knownEndpoint || known.Equals(host),
                $"{input} is accepted as {host} but reaches {endpoint}, the endpoint of {known}");
        }

        return host.IsDockerHub ? "ok: docker hub" : host.Port is null ? "ok: default port" : "ok: port";
    }

    /// <summary>Where requests for a registry go, as the HTTP stack reads the URL: host and port.</summary>
    public static string Endpoint(RegistryHost host)
    {
        var uri = Endpoints.BaseFor(host);
        return string.Create(CultureInfo.InvariantCulture, $"{uri.Host}:{uri.Port}");
    }
}
