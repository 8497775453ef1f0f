using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// One registry, one name, against real Distribution registries served over TLS: after a tag
/// moved upstream, no spelling of its registry (case, :443, leading zeros, trailing dots, the
/// mapping's address in every numeric form, IPv6 forms, percent-encoding) gets the moved digest
/// under a new pin. Each answers the pinned refusal, 400 NAME_INVALID naming the one name, or
/// 403 DENIED where the spelling is a different, unconfigured loopback destination.
/// </summary>
[Trait("Category", "E2E")]
public sealed class RegistryNameTests
{
    private const string Mismatch = "mismatch";
    private const string NameInvalid = "name";
    private const string Denied = "denied";
    private const string ServedPinned = "pinned";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Spellings of <c>docker.io</c> (mapped to the first registry at 127.0.0.1:{hub}) and of
    /// <c>registry.test:{other}</c> (mapped to the second at 127.0.0.1:{other}); {hub} and {other}
    /// are the registries' ports. Expected: the pinned refusal, NAME_INVALID, DENIED, or the pinned
    /// bytes where a serve-pinned policy set under another spelling applies.
    /// </summary>
    private static readonly (string Name, string Expected)[] Spellings =
    [
        // Docker Hub: every alias, any case, with or without :443, is one registry with one pin.
        ("library/pinme", Mismatch),
        ("pinme", Mismatch),
        ("docker.io/library/pinme", Mismatch),
        ("docker.io/pinme", Mismatch),
        ("DOCKER.IO/library/pinme", Mismatch),
        ("Docker.Io/library/pinme", Mismatch),
        ("docker.io:443/library/pinme", Mismatch),
        ("index.docker.io/library/pinme", Mismatch),
        ("INDEX.docker.io:443/library/pinme", Mismatch),
        ("registry-1.docker.io/library/pinme", Mismatch),
        ("registry-1.docker.io:443/library/pinme", Mismatch),
        ("Registry-1.Docker.IO:443/pinme", Mismatch),

        // Other spellings of Docker Hub's name.
        ("docker.io./library/pinme", NameInvalid),
        ("index.docker.io./library/pinme", NameInvalid),
        ("docker.io:0443/library/pinme", NameInvalid),
        ("docker.io:00443/library/pinme", NameInvalid),
        ("docker.io:65979/library/pinme", NameInvalid),
        ("docker.io:/library/pinme", NameInvalid),
        ("docker.io%2elibrary/pinme", NameInvalid),
        ("docker%2Eio/library/pinme", NameInvalid),

        // The mapping's address is not a second name, in any spelling.
        ("127.0.0.1:{hub}/library/pinme", NameInvalid),
        ("127.0.0.01:{hub}/library/pinme", NameInvalid),
        ("0127.0.0.1:{hub}/library/pinme", NameInvalid),
        ("0177.0.0.1:{hub}/library/pinme", NameInvalid),
        ("2130706433:{hub}/library/pinme", NameInvalid),
        ("0x7f000001:{hub}/library/pinme", NameInvalid),
        ("0x7f.0.0.1:{hub}/library/pinme", NameInvalid),
        ("0X7F.0.0.1:{hub}/library/pinme", NameInvalid),
        ("127.1:{hub}/library/pinme", NameInvalid),
        ("127.0.1:{hub}/library/pinme", NameInvalid),
        ("127.0.0.1.:{hub}/library/pinme", NameInvalid),
        ("127.0.0.1:0{hub}/library/pinme", NameInvalid),
        ("[::ffff:127.0.0.1]:{hub}/library/pinme", NameInvalid),
        ("[::ffff:7f00:1]:{hub}/library/pinme", NameInvalid),
        ("[0:0:0:0:0:ffff:7f00:1]:{hub}/library/pinme", NameInvalid),
        ("[::127.0.0.1]:{hub}/library/pinme", NameInvalid),
        ("[::7f00:1]:{hub}/library/pinme", NameInvalid),
        ("[0:0:0:0:0:0:0:1]:{hub}/library/pinme", NameInvalid),
        ("[::1%25lo]:{hub}/library/pinme", NameInvalid),
        ("127.0.0.1%3a{hub}/library/pinme", NameInvalid),

        // Other loopback names are other destinations, not configured: the guard refuses them.
        ("[::1]:{hub}/library/pinme", Denied),
        ("localhost:{hub}/library/pinme", Denied),

        // The explicitly named registry: its policy (set as REGISTRY.TEST:{other}) holds under every spelling.
        ("registry.test:{other}/team/app", ServedPinned),
        ("REGISTRY.TEST:{other}/team/app", ServedPinned),
        ("Registry.Test:{other}/team/app", ServedPinned),
        ("registry.test.:{other}/team/app", NameInvalid),
        ("registry.test:0{other}/team/app", NameInvalid),
        ("127.0.0.1:{other}/team/app", NameInvalid),
        ("2130706433:{other}/team/app", NameInvalid),
        ("127.1:{other}/team/app", NameInvalid),
        ("[::ffff:127.0.0.1]:{other}/team/app", NameInvalid),
    ];

    [Fact]
    public async Task NoSpellingOfARegistryPinsAMovedTagAgain()
    {
        Assert.True(Spellings.Length >= 40);
        using var tls = new TestTls();
        using var work = new TempDirectory();
        await using var hub = await DistributionRegistry.StartAsync(cancellationToken: Ct, tls: tls);
        await using var other = await DistributionRegistry.StartAsync(cancellationToken: Ct, tls: tls);
        var hubPort = new Uri(hub.BaseUri, "/").Port;
        var otherPort = new Uri(other.BaseUri, "/").Port;
        var images = new OciImageBuilder(work.Combine("layout"));
        var first = images.AddImage("first", "pinned first");
        var moved = images.AddImage("moved", "pushed over the same tag");
        await Skopeo.CopyAsync(first.Reference, $"docker://{hub.HostPort}/library/pinme:1.0", cancellationToken: Ct);
        await Skopeo.CopyAsync(first.Reference, $"docker://{other.HostPort}/team/app:1.0", cancellationToken: Ct);

        // The proxy trusts the test authority for its upstreams, as an operator adds a private CA.
        var otherName = string.Create(CultureInfo.InvariantCulture, $"registry.test:{otherPort}");
        await using var proxy = await ServeProcess.StartAsync(
            work.Combine("proxy"),
            [$"docker.io={hub.BaseUri}", $"{otherName}={other.BaseUri}"],
            Ct,
            ["--policy", $"REGISTRY.TEST:{otherPort}:on-mismatch=serve-pinned"],
            new Dictionary<string, string> { ["SSL_CERT_FILE"] = Path.Combine(tls.CertDir, "ca.crt") });
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };

        await AssertFirstSeenAsync(http, "library/pinme", first.ManifestDigest);
        await AssertFirstSeenAsync(http, $"{otherName}/team/app", first.ManifestDigest);

        await Skopeo.CopyAsync(moved.Reference, $"docker://{hub.HostPort}/library/pinme:1.0", cancellationToken: Ct);
        await Skopeo.CopyAsync(moved.Reference, $"docker://{other.HostPort}/team/app:1.0", cancellationToken: Ct);

        var failures = new List<string>();
        foreach (var (template, expected) in Spellings)
        {
            var name = template
                .Replace("{hub}", hubPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{other}", otherPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            using var response = await http.GetAsync(Raw(proxy.BaseUri, $"/v2/{name}/manifests/1.0"), Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var d) ? d.Single() : null;
            var seen = $"{name}: {(int)response.StatusCode} {digest} {body}";

            // Whatever else, the moved digest is never served.
            if (digest == moved.ManifestDigest || (response.IsSuccessStatusCode && body.Contains(moved.ManifestDigest[7..], StringComparison.Ordinal)))
            {
                failures.Add("served the moved digest: " + seen);
                continue;
            }

            var ok = expected switch
            {
                Mismatch => response.StatusCode == HttpStatusCode.Conflict && ErrorCode(body) == "DENIED",
                NameInvalid => response.StatusCode == HttpStatusCode.BadRequest && ErrorCode(body) == "NAME_INVALID",
                Denied => response.StatusCode == HttpStatusCode.Forbidden && ErrorCode(body) == "DENIED",
                _ => response.StatusCode == HttpStatusCode.OK && digest == first.ManifestDigest
                    && response.Headers.Contains("Tlog-Mismatch") && !response.Headers.Contains("Tlog-First-Seen"),
            };
            if (!ok)
            {
                failures.Add($"expected {expected}: {seen}");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));

        // The refusal of the mapping's address says which name to use.
        using var address = await http.GetAsync($"/v2/127.0.0.1:{hubPort}/library/pinme/manifests/1.0", Ct);
        Assert.Contains("upstream address of docker.io", await address.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        using var numeric = await http.GetAsync($"/v2/2130706433:{hubPort}/library/pinme/manifests/1.0", Ct);
        Assert.Contains($"write 127.0.0.1", await numeric.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DenyAndAllowListsHoldForEverySpelling()
    {
        // Refusals come before any upstream request, so no registry is needed.
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, [], new Dictionary<string, string?>
        {
            ["Tlogistry:Upstream:DenyRegistries:0"] = "GHCR.io:443",
            ["Tlogistry:Upstream:AllowRegistries:0"] = "docker.io",
            ["Tlogistry:Upstream:AllowRegistries:1"] = "ghcr.io",
        }, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        foreach (var name in new[] { "ghcr.io/org/app", "ghcr.io:443/org/app", "GHCR.IO/org/app", "Ghcr.Io:443/org/app", "docker.io:444/library/alpine", "quay.io/org/app" })
        {
            using var response = await http.GetAsync($"/v2/{name}/manifests/v1", Ct);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{name}: {(int)response.StatusCode}");
            Assert.Equal("DENIED", ErrorCode(await response.Content.ReadAsStringAsync(Ct)));
        }

        // Spellings that are not names at all are refused as names, before any list is consulted.
        foreach (var name in new[] { "ghcr.io./org/app", "ghcr.io:0443/org/app" })
        {
            using var response = await http.GetAsync($"/v2/{name}/manifests/v1", Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("NAME_INVALID", ErrorCode(await response.Content.ReadAsStringAsync(Ct)));
        }
    }

    /// <summary>The path exactly as written: the client must not decode %2e or reorder anything before the proxy sees it.</summary>
    private static Uri Raw(Uri baseUri, string path) =>
        new(baseUri.GetLeftPart(UriPartial.Authority) + path, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });

    private static async Task AssertFirstSeenAsync(HttpClient http, string name, string digest)
    {
        using var response = await http.GetAsync($"/v2/{name}/manifests/1.0", Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        Assert.Equal("true", response.Headers.GetValues("Tlog-First-Seen").Single());
        Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
    }

    private static string? ErrorCode(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.GetProperty("errors")[0].GetProperty("code").GetString();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
