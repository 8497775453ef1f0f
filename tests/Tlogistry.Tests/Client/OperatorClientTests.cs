using Tlogistry.Client;
using Tlogistry.Client.Audit;
using Tlogistry.Client.History;
using Tlogistry.Client.Verify;
using Tlogistry.Transparency;

namespace Tlogistry.Tests.Client;

/// <summary>
/// The client commands as an operator of replicas uses them: an HTTPS proxy behind a private
/// CA, a proxy logging to <c>tlogistry log serve</c> through Rekor v1, and a shared PostgreSQL store.
/// </summary>
[Trait("Category", "E2E")]
public sealed class OperatorClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(int Exit, string Output, string Errors)> History(HistoryRequest request)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await ImageHistory.RunAsync(request, output, errors, Ct);
        return (exit, output.ToString(), errors.ToString());
    }

    private static async Task<(int Exit, string Output)> Audit(Uri proxy, LogChoice? log, TrustFlags trust)
    {
        var output = new StringWriter();
        var exit = await LogMonitor.RunAsync(new AuditRequest(0, proxy, true, log, null, false, trust, 1000), output, TextWriter.Null, Ct);
        return (exit, output.ToString());
    }

    [Fact]
    public async Task HistoryVerifyAndAuditReachAnHTTPSProxyWhoseCAIsGivenByCaCertAndRefuseItWithout()
    {
        using var tls = new TestTls();
        using var other = new TestTls();
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        using var files = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, tls.Settings, Ct);
        Assert.Equal("https", proxy.Scheme);
        var (rootFile, keyFile, stateDir) = (files.Combine("trusted_root.json"), files.Combine("key.pem"), files.Combine("state"));
        using (var client = tls.Client(proxy.BaseUri, System.Net.HttpVersion.Version11))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/v2/scripted.test/app/manifests/a", Ct)).StatusCode);
            await File.WriteAllBytesAsync(rootFile, await client.GetByteArrayAsync("/tlog/trusted_root.json", Ct), Ct);
            await File.WriteAllBytesAsync(keyFile, await client.GetByteArrayAsync("/tlog/key.pem", Ct), Ct);
        }

        // The system store does not know the private CA, and another CA does not vouch for it.
        var refused = await Assert.ThrowsAsync<ClientException>(() => History(new HistoryRequest("scripted.test/app", proxy.BaseUri, null, false, TrustFlags.None)));
        Assert.Contains("cannot reach the proxy", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ClientException>(() => History(new HistoryRequest("scripted.test/app", proxy.BaseUri, null, false, TrustFlags.None with { CaCert = other.AuthorityPath })));

        var trusted = TrustFlags.None with { CaCert = tls.AuthorityPath };
        var (exit, table, _) = await History(new HistoryRequest("scripted.test/app", proxy.BaseUri, null, false, trusted));
        Assert.Equal(0, exit);
        Assert.Matches(@"\na +sha256:[0-9a-f]{64} +0 .* verified\n", table);

        // verify reads the embedded log's checkpoint from the proxy's https URL with the same CA.
        var flags = new TrustFlags(rootFile, [keyFile], null, null, tls.AuthorityPath);
        var verified = await TagVerification.RunAsync(new VerifyRequest("scripted.test/app:a", null, null, proxy.BaseUri, flags, null, stateDir), Ct);
        Assert.StartsWith("verified scripted.test/app:a sha256:", verified, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ClientException>(() => TagVerification.RunAsync(new VerifyRequest("scripted.test/app:a", null, null, proxy.BaseUri, flags with { CaCert = null }, null, stateDir), Ct));

        Assert.Equal(0, (await Audit(proxy.BaseUri, null, trusted)).Exit);
    }

    [Fact]
    public async Task AuditScansTheLogTheProxyPublishesAndOneLogReadThroughEitherAPIIsOneLog()
    {
        using var logDir = new TempDirectory();
        await using var log = await LogServeProcess.StartAsync(logDir.Path, Ct);
        var settings = new Dictionary<string, string?> { ["Tlogistry:Log"] = $"rekor-v1={log.BaseUri}", ["Tlogistry:TrustedRoot"] = log.TrustedRootPath };
        await using var v1 = await ClientFixture.StartAsync(Ct, settings);
        await v1.PullAsync("a", Ct);
        await v1.PullAsync("b", Ct);

        // No --log: the proxy says it records in a Rekor v1 log; the trusted root gives its URL.
        var (exit, report) = await Audit(v1.Proxy.BaseUri, null, TrustFlags.None);
        Assert.Equal(0, exit);
        Assert.Contains("2 of ours, 2 bundles published; nothing to report", report, StringComparison.Ordinal);

        // The same entries read through the tiles API carry the log's other ID: still explained.
        var (tiles, tilesReport) = await Audit(v1.Proxy.BaseUri, LogChoice.Parse($"rekor-v2={log.BaseUri}"), TrustFlags.None);
        Assert.Equal(0, tiles);
        Assert.DoesNotContain("unexplained", tilesReport, StringComparison.Ordinal);
        Assert.Contains("2 of ours, 2 bundles published; nothing to report", tilesReport, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HistoryReadsTheSharedPostgreSQLStoreAndVerifiesEachRow()
    {
        await using var database = await PostgresDatabase.CreateAsync(Ct);
        var store = "postgres=" + database.ConnectionString;
        await using var f = await ClientFixture.StartAsync(Ct, new Dictionary<string, string?> { ["Tlogistry:Store"] = store });
        var a = await f.PullAsync("a", Ct);
        await f.PullAsync("b", Ct);

        // The signer named by the data directory's key, or by --key: the store is not trusted.
        var (exit, table, _) = await History(new HistoryRequest("scripted.test/app:a", new Uri("http://127.0.0.1:1/"), f.Data.Path, false, TrustFlags.None, store));
        Assert.Equal(0, exit);
        Assert.Matches(@"\na +" + a + @" +0 .* verified\n", table);
        Assert.DoesNotContain("\nb ", table, StringComparison.Ordinal);
        var byKey = await History(new HistoryRequest("scripted.test/app", new Uri("http://127.0.0.1:1/"), null, false, new TrustFlags(f.TrustedRoot, [f.Key], null, null), store));
        Assert.Equal(0, byKey.Exit);
        Assert.Equal(2, byKey.Output.Split('\n').Count(l => l.EndsWith("verified", StringComparison.Ordinal)));

        // A stranger's key: the rows are there, and none verifies.
        using var stranger = new TempDirectory();
        using (var key = Tlogistry.Signing.InstanceKey.LoadOrCreate(stranger.Combine("k.pem")))
        {
            await File.WriteAllTextAsync(stranger.Combine("pub.pem"), System.Security.Cryptography.PemEncoding.WriteString("PUBLIC KEY", key.PublicKeyDer), Ct);
        }

        var wrong = await History(new HistoryRequest("scripted.test/app", new Uri("http://127.0.0.1:1/"), null, false, new TrustFlags(f.TrustedRoot, [stranger.Combine("pub.pem")], null, null), store));
        Assert.Equal(1, wrong.Exit);
        Assert.Contains("2 of 2 sightings do not verify", wrong.Errors, StringComparison.Ordinal);
    }
}
