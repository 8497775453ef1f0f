using System.Net;
using Tlogistry.Ledger;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Upstream;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>What a public, permanent log and a client's error body may learn about the network the proxy runs in.</summary>
[Trait("Category", "E2E")]
public sealed class PrivacyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<SightingClaim> StatementOfAsync(HttpClient http, string image)
    {
        var bundle = BundleJson.Read(await http.GetByteArrayAsync($"/tlog/bundle?image={image}", Ct));
        return SightingStatement.Decode(bundle.Envelope!.Payload);
    }

    [Fact]
    public async Task ASightingRecordsTheRegistrysCanonicalURLAndNeverTheMappedLoopbackAddressUnlessTold()
    {
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, null, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct)).StatusCode);
            var claim = await StatementOfAsync(http, "scripted.test/app:v1");
            Assert.Equal("https://scripted.test/v2/app/manifests/v1", claim.Upstream);
            Assert.DoesNotContain(upstream.BaseUri.Authority, System.Text.Encoding.UTF8.GetString(BundleJson.Read(await http.GetByteArrayAsync("/tlog/bundle?image=scripted.test/app:v1", Ct)).Envelope!.Payload), StringComparison.Ordinal);
        }

        using var mappedData = new TempDirectory();
        await using (var proxy = await ProxyHost.StartAsync(mappedData.Path, upstream.Mapping, new Dictionary<string, string?> { ["Tlogistry:RecordUpstream"] = "mapped" }, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct)).StatusCode);
            Assert.Equal(upstream.BaseUri.AbsoluteUri.TrimEnd('/') + "/v2/app/manifests/v1", (await StatementOfAsync(http, "scripted.test/app:v1")).Upstream);
        }
    }

    [Theory]
    [InlineData("rekor-v2=https://rekor.example.com", null, true)]
    [InlineData("rekor-v1=https://rekor.sigstore.dev", null, true)]
    [InlineData("rekor-v2=http://203.0.113.9:8080", null, true)]
    [InlineData("rekor-v2=http://tlogistry-log:8080", null, false)]
    [InlineData("rekor-v2=http://tlogistry-log.tlogistry.svc.cluster.local:8080", null, false)]
    [InlineData("rekor-v2=http://10.1.2.3:8080", null, false)]
    [InlineData("rekor-v2=http://127.0.0.1:8080", null, false)]
    [InlineData("rekor-v2=http://tlogistry-log:8080", "https://log.example.com", true)]
    [InlineData("embedded", null, false)]
    public void MappedUpstreamsAreRefusedWithALogOnAPublicHost(string log, string? publicUrl, bool refused)
    {
        var choice = LogChoice.Parse(log).WithPublicUrl(publicUrl);
        Assert.Equal(refused, UpstreamRecord.IsPublic(choice));
        if (refused)
        {
            Assert.Contains("keep canonical", Assert.Throws<FormatException>(() => UpstreamRecord.Parse("mapped", choice)).Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.True(UpstreamRecord.Parse("mapped", choice).Mapped);
        }

        Assert.False(UpstreamRecord.Parse(null, choice).Mapped);
    }

    [Fact]
    public async Task AStoreFailureAnswers503WithAReferenceAndNoSQLOrAddress()
    {
        await using var database = await PostgresDatabase.CreateAsync(Ct);
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        Tlogistry.Signing.InstanceKey.LoadOrCreate(Path.Combine(data.Path, "signing-key.pem")).Dispose();
        await using var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, new Dictionary<string, string?> { ["Tlogistry:Store"] = "postgres=" + database.ConnectionString }, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct)).StatusCode);

        // The table is gone: every query fails with PostgreSQL's own words.
        await database.ExecAsync("ALTER TABLE tlogistry_sightings RENAME TO tlogistry_gone");
        string[] secret = ["tlogistry_sightings", "relation", "42P01", "Host=", "127.0.0.1", database.Name];
        foreach (var path in new[] { "/v2/scripted.test/app/manifests/v2", "/tlog/bundles", "/tlog/bundles?image=scripted.test/app" })
        {
            using var response = await http.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.Matches("\\(reference [0-9a-f]{8}; the detail is in the service log\\)", body);
            Assert.All(secret, s => Assert.DoesNotContain(s, body, StringComparison.OrdinalIgnoreCase));
        }

        // The database refusing connections: readiness says which part, not why.
        await database.RefuseConnectionsAsync();
        using var notReady = await http.GetAsync("/readyz", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        var readiness = await notReady.Content.ReadAsStringAsync(Ct);
        Assert.Matches("store: the sighting store cannot be read \\(reference [0-9a-f]{8}; the detail is in the service log\\)", readiness);
        Assert.All(secret, s => Assert.DoesNotContain(s, readiness, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task AnUnreachableMappedUpstreamAnswers502NamingTheRegistryNotItsAddress()
    {
        using var data = new TempDirectory();
        var closed = FreePort.Next();
        await using var proxy = await ProxyHost.StartAsync(data.Path, [$"mirror.test=http://127.0.0.1:{closed}"], null, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        using var response = await http.GetAsync("/v2/mirror.test/app/manifests/v1", Ct);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("request to upstream mirror.test failed (reference ", body, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", body, StringComparison.Ordinal);
        Assert.DoesNotContain(closed.ToString(System.Globalization.CultureInfo.InvariantCulture), body, StringComparison.Ordinal);
    }
}
