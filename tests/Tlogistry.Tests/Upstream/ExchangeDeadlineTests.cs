using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tlogistry.Tests.Upstream;

/// <summary>
/// An upstream that drips a byte a second never trips the idle timeout, yet must not hold a
/// concurrency slot past the exchange deadline: with one slot, a normal pull waiting behind
/// the drip gets its turn, and the dripped manifest is never pinned.
/// </summary>
public sealed class ExchangeDeadlineTests
{
    private static readonly byte[] Manifest = Encoding.UTF8.GetBytes(
        """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}""");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("manifests/v1")]
    [InlineData("blobs/sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")]
    public async Task ADripFeedingUpstreamLosesItsSlotAtTheDeadlineAndANormalPullThenSucceeds(string dripped)
    {
        var dripping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var drip = true;
        await using var upstream = await ScriptedRegistry.StartAsync();
        upstream.Handler = async c =>
        {
            if (Volatile.Read(ref drip) && c.Request.Path.Value!.StartsWith("/v2/drip/", StringComparison.Ordinal))
            {
                // 1 byte a second: well inside the idle timeout, far past the deadline.
                c.Response.ContentType = "application/vnd.oci.image.manifest.v1+json";
                c.Response.ContentLength = Manifest.Length;
                await c.Response.Body.FlushAsync(c.RequestAborted);
                dripping.TrySetResult();
                for (var i = 0; i < Manifest.Length && !c.RequestAborted.IsCancellationRequested; i++)
                {
                    await c.Response.Body.WriteAsync(Manifest.AsMemory(i, 1), c.RequestAborted);
                    await c.Response.Body.FlushAsync(c.RequestAborted);
                    await Task.Delay(1000, c.RequestAborted);
                }

                return;
            }

            c.Response.ContentType = "application/vnd.oci.image.manifest.v1+json";
            c.Response.ContentLength = Manifest.Length;
            await c.Response.Body.WriteAsync(Manifest, c.RequestAborted);
        };

        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, ["scripted.test=" + upstream.BaseUri], new Dictionary<string, string?>
        {
            ["Tlogistry:Upstream:MaxConcurrentRequests"] = "1",
            ["Tlogistry:Upstream:ExchangeTimeout"] = "00:00:02",
            ["Tlogistry:Upstream:IdleTimeout"] = "00:00:30",

            // How long a request waits for the slot: longer than the deadline, far shorter than the drip.
            ["Tlogistry:Upstream:ResponseTimeout"] = "00:00:15",
        }, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri, Timeout = TimeSpan.FromSeconds(120) };

        var held = Task.Run(
            async () =>
            {
                using var response = await http.GetAsync("/v2/scripted.test/drip/" + dripped, HttpCompletionOption.ResponseHeadersRead, Ct);
                try
                {
                    return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
                }
                catch (HttpRequestException e)
                {
                    // A blob's status went out before its body: the proxy can only cut the stream.
                    return ((int)response.StatusCode, "cut: " + e.Message);
                }
            },
            Ct);
        await dripping.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        // The only slot is held by the drip; this pull waits for it and must get it.
        using (var normal = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, normal.StatusCode);
        }

        var (status, body) = await held;
        if (dripped.StartsWith("manifests/", StringComparison.Ordinal))
        {
            Assert.Equal(502, status);
            using var doc = JsonDocument.Parse(body);
            Assert.Contains("exchange deadline", doc.RootElement.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);

            // Nothing was pinned from the drip: served whole now, the tag is a first sighting.
            Volatile.Write(ref drip, false);
            using var again = await http.GetAsync("/v2/scripted.test/drip/manifests/v1", Ct);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.True(again.Headers.Contains("Tlog-First-Seen"));
        }
        else
        {
            Assert.Equal(200, status);
            Assert.StartsWith("cut: ", body, StringComparison.Ordinal);
        }
    }
}
