using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>The proxy serving HTTPS from PEM files: HTTP/2 by ALPN, and real clients verifying the certificate.</summary>
[Trait("Category", "E2E")]
public sealed class TlsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AClientTrustingTheCertificatePullsATagOverHTTP2AndHTTP11OnTheOnePort()
    {
        using var tls = new TestTls();
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, tls.Settings, Ct);
        Assert.Equal("https", proxy.Scheme);

        using (var h2 = tls.Client(proxy.BaseUri, HttpVersion.Version20))
        using (var response = await h2.GetAsync("/v2/scripted.test/app/manifests/v1", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(HttpVersion.Version20, response.Version);
            Assert.Equal("true", response.Headers.GetValues("Tlog-First-Seen").Single());
            Assert.Equal(TagUpstream.DigestOf("v1", moved: false), response.Headers.GetValues("Docker-Content-Digest").Single());
            Assert.Equal(TagUpstream.Body("v1", moved: false), await response.Content.ReadAsByteArrayAsync(Ct));
        }

        using (var h1 = tls.Client(proxy.BaseUri, HttpVersion.Version11))
        using (var response = await h1.GetAsync("/v2/scripted.test/app/manifests/v1", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(HttpVersion.Version11, response.Version);
            Assert.False(response.Headers.Contains("Tlog-First-Seen"));
        }

        // Nobody else vouches for the certificate, and the port speaks only TLS.
        using var untrusting = new HttpClient { BaseAddress = proxy.BaseUri };
        await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetAsync("/v2/", Ct));
        using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{proxy.Port}/") };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetAsync("/v2/", Ct));
    }

    [Fact]
    public async Task SkopeoAndPodmanPullThroughTheProxyVerifyingItsCertificate()
    {
        using var tls = new TestTls();
        using var work = new TempDirectory();
        await using var registry = await DistributionRegistry.StartAsync(cancellationToken: Ct);
        var image = new OciImageBuilder(work.Combine("layout")).AddImage("tls", "pulled over TLS");
        await Skopeo.CopyAsync(image.Reference, $"docker://{registry.HostPort}/team/app:1", cancellationToken: Ct);
        await using var proxy = await ProxyHost.StartAsync(work.Combine("proxy"), ["docker.io=" + registry.BaseUri], tls.Settings, Ct);
        var verified = new[] { "--cert-dir", tls.CertDir, "--tls-verify=true" };

        Assert.Equal(image.ManifestBytes, await Skopeo.InspectRawAsync($"docker://{proxy.HostPort}/team/app:1", verified, Ct));
        await Skopeo.CopyAsync(
            $"docker://{proxy.HostPort}/team/app:1",
            "dir:" + work.Combine("copied"),
            ["--src-cert-dir", tls.CertDir, "--src-tls-verify=true"],
            cancellationToken: Ct);
        Assert.Equal(image.ManifestBytes, await File.ReadAllBytesAsync(work.Combine("copied", "manifest.json"), Ct));
        foreach (var layer in image.Layers)
        {
            Assert.Equal(layer.Size, new FileInfo(work.Combine("copied", layer.Digest["sha256:".Length..])).Length);
        }

        using var podman = new Podman();
        await podman.PullAsync($"{proxy.HostPort}/team/app:1", verified, Ct);
        Assert.Equal(image.ManifestDigest, await podman.ImageDigestAsync($"{proxy.HostPort}/team/app:1", Ct));

        // The same client without the CA refuses the proxy: the checks above were real.
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Skopeo.InspectRawAsync($"docker://{proxy.HostPort}/team/app:1", ["--tls-verify=true"], Ct));
        Assert.Contains("certificate", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACertificateWithoutItsKeyOrWithAnotherKeyStopsTheStartWithTheReason()
    {
        using var tls = new TestTls();
        using var data = new TempDirectory();
        await AssertRefusedAsync(new() { ["Tlogistry:TlsCert"] = tls.CertPath }, "--tls-cert and --tls-key go together");
        await AssertRefusedAsync(new() { ["Tlogistry:TlsKey"] = tls.KeyPath }, "--tls-cert and --tls-key go together");
        await AssertRefusedAsync(new() { ["Tlogistry:TlsCert"] = data.Combine("missing.crt"), ["Tlogistry:TlsKey"] = tls.KeyPath }, "missing.crt");

        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(data.Combine("other.key"), otherKey.ExportPkcs8PrivateKeyPem());
        await AssertRefusedAsync(new() { ["Tlogistry:TlsCert"] = tls.CertPath, ["Tlogistry:TlsKey"] = data.Combine("other.key") }, "cannot serve HTTPS with --tls-cert");

        File.WriteAllText(data.Combine("not-a-key.pem"), tls.Authority.ExportCertificatePem());
        await AssertRefusedAsync(new() { ["Tlogistry:TlsCert"] = tls.CertPath, ["Tlogistry:TlsKey"] = data.Combine("not-a-key.pem") }, "cannot serve HTTPS with --tls-cert");

        async Task AssertRefusedAsync(Dictionary<string, string?> settings, string reason)
        {
            var e = await Assert.ThrowsAsync<FormatException>(() => ProxyHost.StartAsync(data.Combine("proxy"), [], settings, Ct));
            Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        }
    }
}
