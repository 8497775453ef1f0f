using System.Net;
using System.Text.Json;

namespace Tlogistry.Tests.Host;

/// <summary>
/// <c>/readyz</c> answers 200 while the store can be read (pins can be served), whatever the
/// log does; <c>/readyz/record</c> also needs the log; each names the part that failed without
/// SQL or internal URLs; <c>/healthz</c> answers as long as the process runs.
/// </summary>
public sealed class ReadinessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ASqliteStoreThatCannotBeOpenedMakesTheInstanceUnready()
    {
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, [], cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        await AssertReadyAsync(http);

        SightingStore.Delete(data.Path);
        Directory.CreateDirectory(Path.Combine(data.Path, "index.db"));
        await AssertUnreadyAsync(http, "store: ");
        Assert.Equal("ok", await http.GetStringAsync("/healthz", Ct));
    }

    [Fact]
    public async Task APostgresStoreThatGoesDownMakesTheInstanceUnready()
    {
        using var data = new TempDirectory();
        Tlogistry.Signing.InstanceKey.LoadOrCreate(Path.Combine(data.Path, "signing-key.pem")).Dispose();
        await using var database = await PostgresDatabase.CreateAsync(Ct);
        await using var proxy = await ProxyHost.StartAsync(data.Path, [], new Dictionary<string, string?> { ["Tlogistry:Store"] = "postgres=" + database.ConnectionString }, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        await AssertReadyAsync(http);

        await database.RefuseConnectionsAsync();
        await AssertUnreadyAsync(http, "store: ");
        Assert.Equal("ok", await http.GetStringAsync("/healthz", Ct));
    }

    [Theory]
    [InlineData("rekor-v1")]
    [InlineData("rekor-v2")]
    public async Task ALogThatAnswers500OrHangsStopsFirstSightingsButNotServingPins(string mode)
    {
        using var logDir = new TempDirectory();
        using var data = new TempDirectory();
        await using var log = await LogServeProcess.StartAsync(logDir.Path, Ct);
        await using var relay = await FaultyRelay.StartAsync(log.BaseUri);
        await using var upstream = await TagUpstream.StartAsync();
        var root = Path.Combine(data.Path, "relay_root.json");
        await File.WriteAllTextAsync(root, (await File.ReadAllTextAsync(log.TrustedRootPath, Ct)).Replace(log.BaseUri.ToString().TrimEnd('/'), relay.BaseUri.ToString().TrimEnd('/'), StringComparison.Ordinal), Ct);
        var settings = new Dictionary<string, string?>
        {
            ["Tlogistry:Log"] = $"{mode}={relay.BaseUri}",
            ["Tlogistry:TrustedRoot"] = root,
            ["Tlogistry:Rekor:RequestTimeout"] = "00:00:01",
        };
        await using var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        await AssertReadyAsync(http);
        await AssertReadyAsync(http, Record);
        using (var pinned = await http.GetAsync("/v2/scripted.test/app/manifests/pinned", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
        }

        foreach (var fault in new[] { FaultyRelay.Fault.Error500, FaultyRelay.Fault.Hang })
        {
            relay.Mode = fault;
            var message = await AssertUnreadyAsync(http, "log: ", Record);
            Assert.Contains("(reference ", message, StringComparison.Ordinal);
            Assert.DoesNotContain(relay.BaseUri.Authority, message, StringComparison.Ordinal);
            Assert.DoesNotContain("http", message, StringComparison.Ordinal);
            await AssertReadyAsync(http);

            // What /readyz promises: the pinned tag is served while the log is down.
            using var pinned = await http.GetAsync("/v2/scripted.test/app/manifests/pinned", Ct);
            Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
            Assert.Equal(TagUpstream.DigestOf("pinned", moved: false), pinned.Headers.GetValues("Docker-Content-Digest").Single());
        }

        relay.Mode = FaultyRelay.Fault.None;
        await AssertReadyAsync(http, Record);
    }

    [Fact]
    public async Task ADroppedSightingsTableMakesTheInstanceUnreadyWithNoSqlInTheAnswer()
    {
        using var data = new TempDirectory();
        Tlogistry.Signing.InstanceKey.LoadOrCreate(Path.Combine(data.Path, "signing-key.pem")).Dispose();
        await using var database = await PostgresDatabase.CreateAsync(Ct);
        await using var proxy = await ProxyHost.StartAsync(data.Path, [], new Dictionary<string, string?> { ["Tlogistry:Store"] = "postgres=" + database.ConnectionString }, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        await AssertReadyAsync(http);

        await database.ExecAsync("DROP TABLE tlogistry_sightings");
        foreach (var path in new[] { "/readyz", Record })
        {
            var message = await AssertUnreadyAsync(http, "store: ", path);
            Assert.DoesNotContain("tlogistry_sightings", message, StringComparison.Ordinal);
            Assert.DoesNotContain("42P01", message, StringComparison.Ordinal);
            Assert.DoesNotContain("relation", message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task PooledConnectionsEndedByAPostgresRestartAreReplacedWithoutFailingARequest()
    {
        using var data = new TempDirectory();
        Tlogistry.Signing.InstanceKey.LoadOrCreate(Path.Combine(data.Path, "signing-key.pem")).Dispose();
        await using var database = await PostgresDatabase.CreateAsync(Ct);
        await using var proxy = await ProxyHost.StartAsync(data.Path, [], new Dictionary<string, string?> { ["Tlogistry:Store"] = "postgres=" + database.ConnectionString }, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };

        // Several pooled connections at once, then each ended by the server, as a restart ends them.
        var statuses = new List<HttpStatusCode>();
        for (var round = 0; round < 3; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => AssertReadyAsync(http)));
            await database.TerminateConnectionsAsync();
            foreach (var path in new[] { "/readyz", "/readyz", "/readyz", "/tlog/bundles" })
            {
                using var response = await http.GetAsync(path, Ct);
                statuses.Add(response.StatusCode);
            }
        }

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    private const string Record = "/readyz/record";

    private static async Task AssertReadyAsync(HttpClient http, string path = "/readyz")
    {
        using var response = await http.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("ready", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    /// <summary>Expects 503 with exactly one OCI UNAVAILABLE error, for the part named; returns its message.</summary>
    private static async Task<string> AssertUnreadyAsync(HttpClient http, string part, string path = "/readyz")
    {
        using var response = await http.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var error = Assert.Single(body.RootElement.GetProperty("errors").EnumerateArray().ToList());
        Assert.Equal("UNAVAILABLE", error.GetProperty("code").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.StartsWith(part, message, StringComparison.Ordinal);
        return message;
    }
}
