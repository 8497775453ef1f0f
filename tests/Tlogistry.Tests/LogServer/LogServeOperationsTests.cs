using System.Net;
using System.Security.Cryptography;
using System.Text.Json;

namespace Tlogistry.Tests.LogServer;

/// <summary><c>tlogistry log serve</c> as an SRE runs it: readiness, metrics on their own port, JSON logs.</summary>
[Trait("Category", "E2E")]
public sealed class LogServeOperationsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LogServeAnswersReadyzServesMetricsOnlyOnTheMetricsPortAndLogsJSONLines()
    {
        using var dir = new TempDirectory();
        var metricsPort = FreePort.Next();
        await using var log = await LogServeProcess.StartAsync(dir.Path, Ct, ["--log-format", "json", "--metrics-port", metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        using var http = new HttpClient();

        using (var ready = await http.GetAsync(new Uri(log.BaseUri, "readyz"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal("ready", await ready.Content.ReadAsStringAsync(Ct));
        }

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(log.BaseUri, "checkpoint"), Ct)).StatusCode);

        // The public port has no /metrics; the metrics port has nothing else.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(log.BaseUri, "metrics"), Ct)).StatusCode);
        var metricsBase = new Uri($"http://127.0.0.1:{metricsPort}/");
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(metricsBase, "checkpoint"), Ct)).StatusCode);
        using (var metrics = await http.GetAsync(new Uri(metricsBase, "metrics"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            var text = new PrometheusText(await metrics.Content.ReadAsStringAsync(Ct));
            Assert.True(text.Sum("http_server_request_duration_seconds_count", ("http_route", "/checkpoint")) >= 1);
        }

        // Every line on stdout is one JSON object; the start line names the log. The process is
        // still writing: a line not yet ended by its newline is not read.
        var written = log.StandardOutput;
        var lines = written[..(written.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind));
        Assert.Contains(lines, l => JsonDocument.Parse(l).RootElement.GetProperty("EventId").GetInt32() == 4100);
    }

    [Fact]
    public async Task LogServeReadyzAnswers503NamingNoFileWhenItsCheckpointIsGone()
    {
        using var dir = new TempDirectory();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await using var server = await LogServerClient.StartAsync(dir.Combine("data"));
        Assert.Equal(HttpStatusCode.Created, (await server.PostAsync("api/v2/log/entries", LogServerClient.HashedRekordRequest(key, SHA256.HashData("artifact"u8)))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("readyz", Ct)).StatusCode);

        File.Delete(Path.Combine(dir.Combine("data"), "log", "checkpoint"));
        using var notReady = await server.Http.GetAsync("readyz", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        var message = (await server.JsonAsync(notReady)).GetProperty("message").GetString()!;
        Assert.Matches("^the log cannot be read \\(reference [0-9a-f]{8};", message);
        Assert.DoesNotContain(dir.Path, message, StringComparison.Ordinal);
        Assert.DoesNotContain("checkpoint", message, StringComparison.Ordinal);
    }
}
