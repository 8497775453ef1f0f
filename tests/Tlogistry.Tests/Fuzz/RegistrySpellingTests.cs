using System.Globalization;
using System.Net;
using Tlogistry.Fuzzing;
using Tlogistry.Oci;

namespace Tlogistry.Tests.Fuzz;

/// <summary>
/// Generated spellings of known registries (case, :443, leading zeros, trailing dots, every
/// numeric form of an IPv4 address, IPv6 forms): any spelling the proxy accepts is the
/// registry's one name, and no two accepted names reach one upstream endpoint.
/// </summary>
public sealed class RegistrySpellingTests
{
    private const int Cases = 5_000;

    [Fact]
    public void AcceptedSpellingsReachingOneEndpointHaveOneName()
    {
        var rng = new Random(20261207);
        var accepted = new Dictionary<string, RegistryHost>(StringComparer.Ordinal);
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Cases; i++)
        {
            var origin = RegistryHost.Parse(RegistryTargets.Known[rng.Next(RegistryTargets.Known.Length)], "test");
            var spelling = Respell(origin, rng);

            // The fuzz property itself: accepted names are fixed points and own their endpoint.
            var outcome = RegistryTargets.Check(spelling);
            outcomes[outcome.Split(':')[0]] = outcomes.GetValueOrDefault(outcome.Split(':')[0]) + 1;
            if (!RegistryHost.TryParse(spelling, out var host, out _) || RegistryTargets.Endpoints.Refusal(host) is not null)
            {
                continue;
            }

            // A spelling of a known registry that is accepted is that registry, nothing else.
            Assert.True(host.Equals(origin), $"{spelling} (a spelling of {origin}) was accepted as {host}");
            var endpoint = RegistryTargets.Endpoint(host);
            if (accepted.TryGetValue(endpoint, out var earlier))
            {
                Assert.True(earlier.Equals(host), $"{earlier} and {host} both reach {endpoint}");
            }

            accepted[endpoint] = host;
        }

        // The generator reaches all three outcomes, so the assertions above were exercised.
        Assert.True(outcomes.GetValueOrDefault("ok") > 100, string.Join(", ", outcomes));
        Assert.True(outcomes.GetValueOrDefault("error") > 100, string.Join(", ", outcomes));
        Assert.True(outcomes.GetValueOrDefault("refused") > 0, string.Join(", ", outcomes));
    }

    /// <summary>One random re-spelling of <paramref name="origin"/>, valid or not.</summary>
    private static string Respell(RegistryHost origin, Random rng)
    {
        var host = origin.IsDockerHub ? new[] { "docker.io", "index.docker.io", "registry-1.docker.io" }[rng.Next(3)] : origin.Host;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address) && rng.Next(2) == 0)
        {
            host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? Ipv4Form(address, rng) : Ipv6Form(address, rng);
        }

        if (rng.Next(3) == 0)
        {
            host = string.Concat(host.Select(c => rng.Next(2) == 0 ? char.ToUpperInvariant(c) : c));
        }

        if (rng.Next(8) == 0)
        {
            host += ".";
        }

        var port = origin.Port ?? RegistryHost.DefaultPort;
        var portText = rng.Next(6) switch
        {
            0 => "0" + port.ToString(CultureInfo.InvariantCulture),
            1 or 2 => port.ToString(CultureInfo.InvariantCulture),
            3 => (port + 65536).ToString(CultureInfo.InvariantCulture),
            _ => origin.Port is null ? null : port.ToString(CultureInfo.InvariantCulture),
        };

        // The address a mapping points at, spelled as a registry of its own.
        if (origin.IsDockerHub && rng.Next(6) == 0)
        {
            return Ipv4Form(IPAddress.Loopback, rng) + ":5443";
        }

        return portText is null ? host : $"{host}:{portText}";
    }

    private static string Ipv4Form(IPAddress address, Random rng)
    {
        var b = address.GetAddressBytes();
        var number = ((uint)b[0] << 24) | ((uint)b[1] << 16) | ((uint)b[2] << 8) | b[3];
        return rng.Next(7) switch
        {
            0 => number.ToString(CultureInfo.InvariantCulture),
            1 => $"0x{number:x}",
            2 => $"{b[0]}.{(b[1] << 16) | (b[2] << 8) | b[3]}",
            3 => $"0{Convert.ToString(b[0], 8)}.{b[1]}.{b[2]}.{b[3]}",
            4 => $"0x{b[0]:x}.{b[1]}.{b[2]}.{b[3]}",
            5 => $"{b[0]}.{b[1]}.{b[2]}.0{b[3]}",
            _ => address.ToString(),
        };
    }

    private static string Ipv6Form(IPAddress address, Random rng)
    {
        var words = Enumerable.Range(0, 8).Select(i => (address.GetAddressBytes()[2 * i] << 8) | address.GetAddressBytes()[(2 * i) + 1]).ToArray();
        return rng.Next(4) switch
        {
            0 => "[" + string.Join(':', words.Select(w => w.ToString("x", CultureInfo.InvariantCulture))) + "]",
            1 => "[" + string.Join(':', words.Select(w => w.ToString("x4", CultureInfo.InvariantCulture))) + "]",
            2 => "[" + address.ToString().ToUpperInvariant() + "]",
            _ => "[" + address + "]",
        };
    }
}
