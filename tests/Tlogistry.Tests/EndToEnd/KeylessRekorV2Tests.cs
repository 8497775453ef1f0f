using System.Net;
using Tlogistry.Client;
using Tlogistry.Client.Verify;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// Keyless signing on a Rekor v2 log, whose entries state no time: every signature is dated by
/// an RFC 3161 timestamp authority (here the log serve process's own), the bundle carries the
/// answer, and a verifier checks the certificate at that verified time. A timestamp authority
/// that answers anything else stops the first sighting before it reaches the log.
/// </summary>
public sealed class KeylessRekorV2Tests
{
    private const string Issuer = "https://issuer.test";
    private const string Alice = "alice@example.com";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KeylessSightingOnRekorV2IsDatedByTheLogsTimestampAuthorityAndVerifies()
    {
        using var logDir = new TempDirectory();
        using var data = new TempDirectory();
        await using var log = await LogServeProcess.StartAsync(logDir.Path, Ct);
        await using var fulcio = await TestFulcio.StartAsync();
        await using var upstream = await TagUpstream.StartAsync();
        var logRoot = TrustedRoot.Parse(await File.ReadAllBytesAsync(log.TrustedRootPath, Ct));
        var tsa = Assert.Single(logRoot.TimestampAuthorities);
        Assert.Equal(new Uri(log.BaseUri, "api/v1/timestamp").ToString(), tsa.Uri);
        var settings = Keyless(fulcio, data.Path, fulcio.TrustedRoot(logRoot.Logs).WithTimestampAuthorities(logRoot.TimestampAuthorities));
        settings["Tlogistry:Log"] = "rekor-v2=" + log.BaseUri;
        settings["Tlogistry:TimestampAuthorities:0"] = tsa.Uri;

        string pinned;
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using (var first = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct))
            {
                Assert.True(first.StatusCode == HttpStatusCode.OK, await first.Content.ReadAsStringAsync(Ct));
                pinned = first.Headers.GetValues("Docker-Content-Digest").Single();
            }

            // The v2 entry states no time; the bundle's timestamp does, and it dates the signature.
            var bundle = BundleJson.Read(await http.GetByteArrayAsync("/tlog/bundle?image=scripted.test/app:v1", Ct));
            Assert.Equal(0, bundle.Entry.IntegratedTime);
            Assert.Null(bundle.Entry.SignedEntryTimestamp);
            var stamp = Assert.Single(bundle.Material.Rfc3161Timestamps);
            var at = SignedTimestamp.Verify(stamp, bundle.Envelope!.Signatures[0].Signature, logRoot.TimestampAuthorities);
            using var leaf = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(bundle.Material.Certificates[0]);
            Assert.InRange(at, new DateTimeOffset(leaf.NotBefore.ToUniversalTime()).AddSeconds(-1), new DateTimeOffset(leaf.NotAfter.ToUniversalTime()));

            // tlogistry verify, with the root the proxy publishes (which names the timestamp authority).
            var published = Path.Combine(data.Path, "published_root.json");
            await File.WriteAllBytesAsync(published, await http.GetByteArrayAsync("/tlog/trusted_root.json", Ct), Ct);
            Assert.Single(TrustedRoot.Parse(await File.ReadAllBytesAsync(published, Ct)).TimestampAuthorities);
            var request = new VerifyRequest("scripted.test/app:v1", pinned, null, proxy.BaseUri, new TrustFlags(published, [], Alice, Issuer), null, Path.Combine(data.Path, "state"));
            Assert.EndsWith("signed by email:alice@example.com;issuer=" + Issuer, await TagVerification.RunAsync(request, Ct), StringComparison.Ordinal);

            // The same bundle without its timestamp has nothing to date the certificate by.
            var bare = Path.Combine(data.Path, "bare.json");
            await File.WriteAllBytesAsync(bare, BundleJson.Write(bundle with { Material = bundle.Material with { Rfc3161Timestamps = [] } }), Ct);
            var undated = await Assert.ThrowsAsync<ClientException>(() => TagVerification.RunAsync(request with { BundleFile = bare }, Ct));
            Assert.Contains("time check failed", undated.Message, StringComparison.Ordinal);
        }

        // The pin holds: upstream moves the tag, the proxy refuses it.
        upstream.Move("v1");
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using var moved = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct);
            Assert.Equal(HttpStatusCode.Conflict, moved.StatusCode);
            Assert.Contains(pinned, await moved.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("untrusted")]
    [InlineData(nameof(TsaBehaviour.OtherImprint))]
    [InlineData(nameof(TsaBehaviour.Garbage))]
    public async Task BadTimestampAuthorityRecordsNothing(string behaviour)
    {
        using var logDir = new TempDirectory();
        using var data = new TempDirectory();
        await using var log = await LogServeProcess.StartAsync(logDir.Path, Ct);
        await using var fulcio = await TestFulcio.StartAsync();
        await using var upstream = await TagUpstream.StartAsync();
        await using var tsa = await OpenSslTsa.StartAsync();
        var logRoot = TrustedRoot.Parse(await File.ReadAllBytesAsync(log.TrustedRootPath, Ct));

        // The root trusts the OpenSSL authority, except when it is the stranger; then the log's own.
        var trusted = behaviour == "untrusted" ? logRoot.TimestampAuthorities : [tsa.Authority()];
        tsa.Behaviour = behaviour == "untrusted" ? TsaBehaviour.Honest : Enum.Parse<TsaBehaviour>(behaviour);
        var settings = Keyless(fulcio, data.Path, fulcio.TrustedRoot(logRoot.Logs).WithTimestampAuthorities(trusted));
        settings["Tlogistry:Log"] = "rekor-v2=" + log.BaseUri;
        settings["Tlogistry:TimestampAuthorities:0"] = tsa.Url.ToString();

        await using var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        using (var first = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        }

        Assert.True(tsa.Requests > 0);
        using (var bundle = await http.GetAsync("/tlog/bundle?image=scripted.test/app:v1", Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, bundle.StatusCode);
        }

        // Nothing reached the log.
        using var logHttp = new HttpClient { BaseAddress = log.BaseUri };
        var checkpoint = await logHttp.GetStringAsync("/checkpoint", Ct);
        Assert.Equal("0", checkpoint.Split('\n')[1]);
    }

    private static Dictionary<string, string?> Keyless(TestFulcio fulcio, string dataDir, TrustedRoot root)
    {
        var tokenFile = Path.Combine(dataDir, "token");
        File.WriteAllText(tokenFile, TestJwt.Mint(Issuer, "subject-1", Alice, DateTimeOffset.UtcNow.AddHours(1)));
        var rootFile = Path.Combine(dataDir, "trusted_root.json");
        File.WriteAllBytes(rootFile, root.Write());
        return new Dictionary<string, string?>
        {
            ["Tlogistry:Signer"] = "fulcio=" + fulcio.BaseUrl,
            ["Tlogistry:TokenSource"] = "file=" + tokenFile,
            ["Tlogistry:Identity"] = Alice,
            ["Tlogistry:Issuer"] = Issuer,
            ["Tlogistry:TrustedRoot"] = rootFile,
        };
    }
}
