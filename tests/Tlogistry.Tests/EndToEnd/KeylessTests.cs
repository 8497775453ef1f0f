using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Http;
using Tlogistry.Ledger;
using Tlogistry.Signing;
using Tlogistry.Signing.Keyless;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Rekor;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// Keyless signing end to end: a test certificate authority speaking the Fulcio v2 API issues
/// short-lived certificates for an OIDC token from a token file; only sightings by the
/// configured identity, chained to a trusted CA and valid at the log's time, count.
/// </summary>
public sealed class KeylessTests
{
    private const string Issuer = "https://issuer.test";
    private const string Alice = "alice@example.com";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KeylessSightingsInTheEmbeddedLogPinAndComeBackFromTheLogAlone()
    {
        await using var fulcio = await TestFulcio.StartAsync();
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        var root = WriteRoot(data.Path, fulcio.TrustedRoot([]));
        var settings = Keyless(fulcio, data.Path, Alice, root);
        settings["Tlogistry:Log"] = "embedded";

        string pinned;
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using (var first = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct))
            {
                Assert.Equal(HttpStatusCode.OK, first.StatusCode);
                pinned = first.Headers.GetValues("Docker-Content-Digest").Single();
            }

            // The bundle carries the Fulcio leaf, and the statement names the certificate identity.
            var bundle = BundleJson.Read(await http.GetByteArrayAsync("/tlog/bundle?image=scripted.test/app:v1", Ct));
            var leaf = FulcioCertificate.Read(Assert.Single(bundle.Material.Certificates));
            Assert.Equal(new CertificateIdentity(SanKind.Email, Alice), leaf.San);
            var claim = SightingStatement.Decode(bundle.Envelope!.Payload);
            Assert.Equal("email:alice@example.com;issuer=" + Issuer, claim.Identity);

            // The home page shows the identity recorded.
            Assert.Contains("email:alice@example.com;issuer=" + Issuer, WebUtility.HtmlDecode(await http.GetStringAsync("/", Ct)), StringComparison.Ordinal);

            // There is no key to publish; a verifier checks identity and issuer against the CA.
            using (var key = await http.GetAsync("/tlog/key.pem", Ct))
            {
                Assert.Equal(HttpStatusCode.NotFound, key.StatusCode);
                Assert.Contains("signs keylessly as email:alice@example.com", await key.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            }

            var published = Path.Combine(data.Path, "published_root.json");
            await File.WriteAllBytesAsync(published, await http.GetByteArrayAsync("/tlog/trusted_root.json", Ct), Ct);

            // The published root names the CT log, so a verifier can check the leaf's SCT.
            Assert.Equal(fulcio.CtLog.LogId, Assert.Single(TrustedRoot.Parse(await File.ReadAllBytesAsync(published, Ct)).CtLogs).LogId);

            // Without a pinned root, a client takes the proxy's logs but never its CAs: the test CA is not public-good.
            var unpinned = await Tlogistry.Client.ClientTrust.FromProxyAsync(new Tlogistry.Client.TrustFlags(null, [], Alice, Issuer), new Tlogistry.Client.ProxyClient(proxy.BaseUri), Ct);
            Assert.Equal(TrustedRoot.PublicGood.CertificateAuthorities.Select(a => a.Uri), unpinned.Root.CertificateAuthorities.Select(a => a.Uri));
            var chain = Assert.Throws<Tlogistry.Transparency.Sigstore.LogVerificationException>(() => unpinned.Reader.Read(bundle));
            Assert.Contains("certificate chain check failed", chain.Message, StringComparison.Ordinal);
            var pinnedTrust = await Tlogistry.Client.ClientTrust.FromProxyAsync(new Tlogistry.Client.TrustFlags(published, [], Alice, Issuer), new Tlogistry.Client.ProxyClient(proxy.BaseUri), Ct);
            Assert.Equal(pinnedTrust.Reader.Identity, pinnedTrust.Reader.Read(bundle).Identity);
            Tlogistry.Client.Verify.VerifyRequest Check(string identity) =>
                new("scripted.test/app:v1", pinned, null, proxy.BaseUri, new Tlogistry.Client.TrustFlags(published, [], identity, Issuer), null, Path.Combine(data.Path, "state"));
            Assert.EndsWith("signed by email:alice@example.com;issuer=" + Issuer, await Tlogistry.Client.Verify.TagVerification.RunAsync(Check(Alice), Ct), StringComparison.Ordinal);
            var stranger = await Assert.ThrowsAsync<Tlogistry.Client.ClientException>(() => Tlogistry.Client.Verify.TagVerification.RunAsync(Check("mallory@example.com"), Ct));
            Assert.Contains("mallory@example.com", stranger.Message, StringComparison.Ordinal);
        }

        // The store is lost: the embedded log's leaf keeps the certificate, so the pin comes back.
        SightingStore.Delete(data.Path);
        upstream.Move("v1");
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using var moved = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct);
            Assert.Equal(HttpStatusCode.Conflict, moved.StatusCode);
            Assert.Contains(pinned, await moved.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task StrangersNeitherPinNorBlockAKeylessInstancesTags()
    {
        using var logDir = new TempDirectory();
        using var data = new TempDirectory();
        await using var log = await LogServeProcess.StartAsync(logDir.Path, Ct);
        await using var fulcio = await TestFulcio.StartAsync();
        await using var untrusted = await TestFulcio.StartAsync();
        await using var upstream = await TagUpstream.StartAsync();
        var logRoot = TrustedRoot.Parse(await File.ReadAllBytesAsync(log.TrustedRootPath, Ct));
        var root = WriteRoot(data.Path, fulcio.TrustedRoot(logRoot.Logs));
        var settings = Keyless(fulcio, data.Path, Alice, root);
        settings["Tlogistry:Log"] = "rekor-v1=" + log.BaseUri;

        using var client = new HttpClient();
        var rekor = new RekorV1Log(log.BaseUri, LogIds.ForRekorV1(logRoot.Logs[0].PublicKeyDer), client, JsonHttpOptions.ForRekor(), NullLogger<RekorV1Log>.Instance);

        // Each stranger logs a "sighting" of its own tag, pinned to a digest upstream never serves.
        // Another key:
        using (var key = InstanceKey.LoadOrCreate(Path.Combine(data.Path, "stranger.pem")))
        {
            await LogSightingAsync(rekor, await key.SignAsync(Dsse.InTotoPayloadType, Statement("by-key", key.Identity), Ct));
        }

        // Another e-mail from the same trusted CA:
        await LogSightingAsync(rekor, await SignWithCertificateAsync(fulcio, "bob@example.com", "by-bob"));

        // The right e-mail and issuer, from a CA that is not trusted:
        await LogSightingAsync(rekor, await SignWithCertificateAsync(untrusted, Alice, "by-untrusted-ca"));

        // The right identity from the trusted CA, but a certificate that expired before the log integrated the entry:
        fulcio.LeafLifetime = TimeSpan.FromSeconds(1);
        var expired = await SignWithCertificateAsync(fulcio, Alice, "by-expired");
        await Task.Delay(TimeSpan.FromSeconds(2.5), Ct);
        await LogSightingAsync(rekor, expired);
        fulcio.LeafLifetime = TimeSpan.FromMinutes(10);

        await using var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct);

        // Each is found by the search, and each fails the check that concerns it.
        var reader = proxy.Services.GetRequiredService<SightingReader>();
        var expectedFailure = new Dictionary<string, string>
        {
            ["by-key"] = "signer check failed",
            ["by-bob"] = "certificate identity check failed",
            ["by-untrusted-ca"] = "certificate chain check failed",
            ["by-expired"] = "certificate validity check failed",
        };
        foreach (var (tag, failure) in expectedFailure)
        {
            var found = await rekor.SearchAsync("scripted.test/app:" + tag, SignerMaterial.AnyKey, Ct).ToListAsync(Ct);
            var record = Assert.Single(found);
            var error = Assert.ThrowsAny<Exception>(() => reader.Read(reader.Bundle(record.Entry, record.Envelope!)));
            Assert.Contains(failure, error.Message, StringComparison.Ordinal);
        }

        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        foreach (var tag in expectedFailure.Keys)
        {
            // Found by the search, each is ignored: the tag is served and recorded as a first sighting.
            using var response = await http.GetAsync("/v2/scripted.test/app/manifests/" + tag, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{tag}: {response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
            Assert.Equal("true", response.Headers.GetValues("Tlog-First-Seen").Single());
        }

        // Our own keyless sighting, made through the proxy, does pin: with the store lost it is found again.
        using (var ours = await http.GetAsync("/v2/scripted.test/app/manifests/ours", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, ours.StatusCode);
        }

        await proxy.DisposeAsync();
        SightingStore.Delete(data.Path);
        upstream.Move("ours");
        await using var restarted = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct);
        using var again = new HttpClient { BaseAddress = restarted.BaseUri };
        using var refused = await again.GetAsync("/v2/scripted.test/app/manifests/ours", Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains(TagUpstream.DigestOf("ours", moved: false), await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATokenForAnotherIdentityStopsTheStart()
    {
        await using var fulcio = await TestFulcio.StartAsync();
        using var data = new TempDirectory();
        var root = WriteRoot(data.Path, fulcio.TrustedRoot([]));
        var settings = Keyless(fulcio, data.Path, Alice, root, tokenEmail: "mallory@example.com");
        var error = await Assert.ThrowsAsync<FormatException>(() => ProxyHost.StartAsync(data.Path, [], settings, Ct));
        Assert.Contains("mallory@example.com", error.Message, StringComparison.Ordinal);

        settings["Tlogistry:Log"] = "rekor-v2=http://127.0.0.1:9";
        var v2 = await Assert.ThrowsAsync<FormatException>(() => ProxyHost.StartAsync(data.Path, [], settings, Ct));
        Assert.Contains("rekor-v2", v2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlainHttpToAFulcioOffLoopbackStopsTheStart()
    {
        await using var fulcio = await TestFulcio.StartAsync();
        using var data = new TempDirectory();
        var settings = Keyless(fulcio, data.Path, Alice, WriteRoot(data.Path, fulcio.TrustedRoot([])));
        settings["Tlogistry:Signer"] = "fulcio=http://fulcio.example.com";

        // The request would carry the OIDC token in clear text.
        var e = await Assert.ThrowsAsync<FormatException>(() => ProxyHost.StartAsync(data.Path, [], settings, Ct));
        Assert.Contains("clear text", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheIdentityTokenNeverReachesTheLogsAndAnExposedTokenFileIsWarnedAbout()
    {
        await using var fulcio = await TestFulcio.StartAsync();
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        var settings = Keyless(fulcio, data.Path, Alice, WriteRoot(data.Path, fulcio.TrustedRoot([])));
        var tokenFile = settings["Tlogistry:TokenSource"]![("file=".Length)..];
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        }

        var token = await File.ReadAllTextAsync(tokenFile, Ct);
        await using var serve = await ServeProcess.StartAsync(data.Path, upstream.Mapping, Ct,
        [
            "--signer", settings["Tlogistry:Signer"]!, "--token-source", settings["Tlogistry:TokenSource"]!, "--identity", Alice, "--issuer", Issuer,
            "--trusted-root", settings["Tlogistry:TrustedRoot"]!, "--Logging:LogLevel:Default=Debug",
        ]);
        using (var http = new HttpClient { BaseAddress = serve.BaseUri })
        using (var first = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        Assert.Equal(0, await serve.StopAsync(Ct));
        Assert.Contains("Fulcio certificate for email:alice@example.com", serve.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("other users may read or replace it", serve.StandardOutput, StringComparison.Ordinal);
        foreach (var part in token.Trim().Split('.')[..2])
        {
            Assert.DoesNotContain(part, serve.StandardOutput, StringComparison.Ordinal);
        }
    }

    private static Dictionary<string, string?> Keyless(TestFulcio fulcio, string dataDir, string identity, string trustedRoot, string? tokenEmail = null)
    {
        var tokenFile = Path.Combine(dataDir, "token");
        File.WriteAllText(tokenFile, TestJwt.Mint(Issuer, "subject-1", tokenEmail ?? identity, DateTimeOffset.UtcNow.AddHours(1)));
        return new Dictionary<string, string?>
        {
            ["Tlogistry:Signer"] = "fulcio=" + fulcio.BaseUrl,
            ["Tlogistry:TokenSource"] = "file=" + tokenFile,
            ["Tlogistry:Identity"] = identity,
            ["Tlogistry:Issuer"] = Issuer,
            ["Tlogistry:TrustedRoot"] = trustedRoot,
        };
    }

    private static string WriteRoot(string dir, TrustedRoot root)
    {
        var path = Path.Combine(dir, "trusted_root.json");
        File.WriteAllBytes(path, root.Write());
        return path;
    }

    private static byte[] Statement(string tag, string identity) => SightingStatement.Encode(new SightingClaim(
        Typed.Tag("scripted.test/app:" + tag), Typed.Digest("sha256:" + new string('f', 64)), TagUpstream.ManifestType, DateTimeOffset.UtcNow, "elsewhere", identity));

    /// <summary>A sighting signed with a fresh key and a certificate for <paramref name="email"/> from <paramref name="ca"/>.</summary>
    private static async Task<SignedEnvelope> SignWithCertificateAsync(TestFulcio ca, string email, string tag)
    {
        using var http = new HttpClient();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var chain = await new FulcioClient(ca.BaseUrl, http).RequestCertificateAsync(TestJwt.Mint(Issuer, "s", email, DateTimeOffset.UtcNow.AddHours(1)), key, Ct);
        var payload = Statement(tag, SignerIdentity.ForCertificate(CertificateIdentity.Parse(email), Issuer));
        var signature = key.SignData(Dsse.Pae(Dsse.InTotoPayloadType, payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return new SignedEnvelope(
            new DsseEnvelope(Dsse.InTotoPayloadType, payload, [new DsseSignature("", signature)]),
            new SignerMaterial(key.ExportSubjectPublicKeyInfo(), chain.Certificates));
    }

    private static Task LogSightingAsync(RekorV1Log rekor, SignedEnvelope signed) =>
        rekor.AppendAsync(signed.Envelope, signed.Signer, Ct);
}
