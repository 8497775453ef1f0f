using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Tlogistry.Tests.Telemetry;

/// <summary>
/// OTLP traces from <c>tlogistry serve</c> as a process to a loopback OTLP/HTTP receiver.
/// The batch delay is made short so that spans arrive while the service runs.
/// </summary>
[Trait("Category", "E2E")]
public sealed class TracingTests
{
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    private static readonly byte[] Manifest = Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"mediaType\":\"{ManifestType}\",\"config\":{{}},\"layers\":[]}}");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task APullIsTracedInTheClientsTraceWithoutPassingItUpstream(bool fromEnvironment)
    {
        using var work = new TempDirectory();
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var upstream = await ScriptedRegistry.StartAsync();
        var traceparentsUpstream = 0;
        upstream.Handler = c =>
        {
            if (c.Request.Headers.ContainsKey("traceparent"))
            {
                Interlocked.Increment(ref traceparentsUpstream);
            }

            c.Response.ContentType = ManifestType;
            c.Response.Headers["Docker-Content-Digest"] = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Manifest));
            return c.Response.Body.WriteAsync(Manifest).AsTask();
        };

        var environment = new Dictionary<string, string> { ["OTEL_BSP_SCHEDULE_DELAY"] = "100" };
        string[] flags = [];
        if (fromEnvironment)
        {
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.BaseUri.AbsoluteUri;
        }
        else
        {
            flags = ["--otlp-endpoint", receiver.BaseUri.AbsoluteUri.TrimEnd('/')];
        }

        await using var proxy = await ServeProcess.StartAsync(work.Combine("data"), ["scripted.test=" + upstream.BaseUri], Ct, flags, environment);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        var traceId = RandomNumberGenerator.GetBytes(16);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/scripted.test/app/manifests/v1");
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{Convert.ToHexStringLower(traceId)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01");
        using (var pulled = await http.SendAsync(request, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
            Assert.True(pulled.Headers.Contains("Tlog-First-Seen"));
        }

        byte[][] expected =
        [
            OtlpReceiver.StringAttribute("service.name", "tlogistry"),
            OtlpReceiver.SpanName("ledger.observe"),
            OtlpReceiver.SpanName("ledger.record"),
            OtlpReceiver.SpanName("log.append"),
            [0x0A, 16, .. traceId],
        ];
        for (var i = 0; i < 600 && !expected.All(receiver.Received); i++)
        {
            await Task.Delay(50, Ct);
        }

        Assert.True(receiver.Received(expected[0]), "no export named the service tlogistry");
        Assert.True(receiver.Received(expected[1]), "no ledger.observe span");
        Assert.True(receiver.Received(expected[2]), "no ledger.record span");
        Assert.True(receiver.Received(expected[3]), "no log.append span");
        Assert.True(receiver.Received(expected[4]), "no span in the client's trace");
        Assert.Equal(0, traceparentsUpstream);
    }
}
