using System.Net;
using System.Text.Json;
using Tlogistry.Tests.Support;

namespace Tlogistry.Tests.Host;

/// <summary>
/// <c>/readyz</c> answers 200 only while the store and the log both answer, and otherwise
/// names the part that failed; <c>/healthz</c> answers as long as the process runs.
/// </summary>
public sealed class ReadinessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_sqlite_store_that_cannot_be_opened_makes_the_instance_unready()
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
    public async Task A_postgres_store_that_goes_down_makes_the_instance_unready()
    {
        using var data = new TempDirectory();
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
    public async Task A_log_that_answers_500_or_hangs_makes_the_instance_unready_until_it_is_back(string mode)
    {
        using var logDir = new TempDirectory();
        using var data = new TempDirectory();
        await using var log = await LogServeProcess.StartAsync(logDir.Path, Ct);
        await using var relay = await FaultyRelay.StartAsync(log.BaseUri);
        var root = Path.Combine(data.Path, "relay_root.json");
        await File.WriteAllTextAsync(root, (await File.ReadAllTextAsync(log.TrustedRootPath, Ct)).Replace(log.BaseUri.ToString().TrimEnd('/'), relay.BaseUri.ToString().TrimEnd('/'), StringComparison.Ordinal), Ct);
        var settings = new Dictionary<string, string?>
        {
            ["Tlogistry:Log"] = $"{mode}={relay.BaseUri}",
            ["Tlogistry:TrustedRoot"] = root,
            ["Tlogistry:Rekor:RequestTimeout"] = "00:00:01",
        };
        await using var proxy = await ProxyHost.StartAsync(data.Path, [], settings, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        await AssertReadyAsync(http);

        relay.Mode = FaultyRelay.Fault.Error500;
        // The reason names the log's address: the body gives a reference to it in the service log.
        var failed = await AssertUnreadyAsync(http, "log: ");
        Assert.Contains("unavailable (reference ", failed, StringComparison.Ordinal);
        Assert.DoesNotContain(relay.BaseUri.Authority, failed, StringComparison.Ordinal);
        relay.Mode = FaultyRelay.Fault.Hang;
        Assert.Contains("unavailable (reference ", await AssertUnreadyAsync(http, "log: "), StringComparison.Ordinal);

        relay.Mode = FaultyRelay.Fault.None;
        await AssertReadyAsync(http);
    }

    private static async Task AssertReadyAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/readyz", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ready", await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>Expects 503 with exactly one OCI UNAVAILABLE error, for the part named; returns its message.</summary>
    private static async Task<string> AssertUnreadyAsync(HttpClient http, string part)
    {
        using var response = await http.GetAsync("/readyz", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var error = Assert.Single(body.RootElement.GetProperty("errors").EnumerateArray().ToList());
        Assert.Equal("UNAVAILABLE", error.GetProperty("code").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.StartsWith(part, message, StringComparison.Ordinal);
        return message;
    }
}
