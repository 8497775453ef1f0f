using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tlogistry.Tests.Hostile;

/// <summary>
/// An upstream that answers a pass-through with an error, or breaks off: a 416 with or
/// without a body, a 416 whose Content-Range is not the RFC's form, error bodies huge or of
/// the wrong type, a body that stops before or after its first byte. Whatever it does, the
/// client gets a status with an OCI error body while nothing has been sent, and a cut
/// connection only once bytes are under way.
/// </summary>
[Trait("Category", "E2E")]
public sealed class UpstreamErrorStatusTests
{
    private const string Blob = "/v2/scripted.test/app/blobs/sha256:4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string?, string?> UnsatisfiableAnswers => new()
    {
        // (upstream Content-Range, upstream body type, the length the client is told)
        { "bytes */2048", null, "2048" },
        { "bytes */2048", "text/plain; charset=utf-8", "2048" },
        { "bytes */2048", "text/html", "2048" },
        { "bytes */0", "application/json", "0" },
        { "", "text/plain", null },
        { "bytes */-5", "text/plain", null },
        { "bytes */2048, bytes */4096", null, null },
        { "bytes 0-10/2048", null, null },
        { "bytes */99999999999999999999", null, null },
        { "bytes */2048 <script>", null, null },
    };

    [Theory]
    [MemberData(nameof(UnsatisfiableAnswers))]
    public async Task AnUpstream416IsAnswered416WithTheBlobLengthOnlyInTheRfcForm(string contentRange, string? bodyType, string? length)
    {
        await using var upstream = await ScriptedRegistry.StartAsync();
        upstream.Handler = async c =>
        {
            c.Response.StatusCode = 416;
            if (contentRange.Length > 0)
            {
                c.Response.Headers["Content-Range"] = contentRange;
            }

            if (bodyType is not null)
            {
                c.Response.ContentType = bodyType;
                await c.Response.WriteAsync("<b>invalid range: failed to overlap</b>\n");
            }
        };
        await using var rig = await Rig.StartAsync(upstream);

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
        {
            using var request = new HttpRequestMessage(method, Blob);
            request.Headers.Range = new RangeHeaderValue(5000, 10000);
            using var response = await rig.Http.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(length is null ? null : "bytes */" + length, response.Content.Headers.TryGetValues("Content-Range", out var range) ? string.Join(",", range) : null);
            if (method == HttpMethod.Get)
            {
                var body = await response.Content.ReadAsStringAsync(Ct);
                Assert.DoesNotContain("<b>", body, StringComparison.Ordinal);
                Assert.Equal("RANGE_INVALID", Code(body));
            }
        }
    }

    [Fact]
    public async Task An416WhoseBodyIsShorterThanItsLengthIsStillAnswered()
    {
        // Distribution sets the blob's length before its range check, then writes a short text
        // under it: the body upstream declares never arrives.
        await using var upstream = await ScriptedRegistry.StartAsync();
        upstream.Handler = async c =>
        {
            c.Response.StatusCode = 416;
            c.Response.Headers["Content-Range"] = "bytes */2048";
            c.Response.ContentLength = 2048;
            await c.Response.WriteAsync("invalid range\n");
            await c.Response.Body.FlushAsync();

            // The cut comes once the headers are across: a reset sooner could discard them unread.
            await Task.Delay(300);
            c.Abort();
        };
        await using var rig = await Rig.StartAsync(upstream);

        using var request = new HttpRequestMessage(HttpMethod.Get, Blob);
        request.Headers.TryAddWithoutValidation("Range", "bytes=500-0");
        using var response = await rig.Http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable, text);
        Assert.Equal("RANGE_INVALID", Code(text));
        Assert.Equal("bytes */2048", response.Content.Headers.GetValues("Content-Range").Single());
    }

    [Fact]
    public async Task A416ToARequestWithoutARangeIsUpstreamsFault()
    {
        await using var upstream = await ScriptedRegistry.StartAsync();
        upstream.Handler = c =>
        {
            c.Response.StatusCode = 416;
            c.Response.Headers["Content-Range"] = "bytes */2048";
            return Task.CompletedTask;
        };
        await using var rig = await Rig.StartAsync(upstream);

        using var response = await rig.Http.GetAsync(Blob, Ct);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.False(response.Content.Headers.Contains("Content-Range"));
        Assert.Equal("UNKNOWN", Code(await response.Content.ReadAsStringAsync(Ct)));
    }

    public static TheoryData<int, string, int, string> ErrorBodies => new()
    {
        // (upstream status, its body type, the client's status, the client's code)
        { 404, "text/html", 404, "BLOB_UNKNOWN" },
        { 500, "text/html", 502, "UNKNOWN" },
        { 503, "application/octet-stream", 502, "UNKNOWN" },
        { 400, "application/json", 502, "UNKNOWN" },
        { 429, "text/plain", 429, "TOOMANYREQUESTS" },
    };

    [Theory]
    [MemberData(nameof(ErrorBodies))]
    public async Task AnErrorBodyHugeOrOfTheWrongTypeIsNeverRelayed(int status, string type, int expected, string code)
    {
        // 64 MiB of markup that is never meant to be read: the answer comes from the status alone.
        var chunk = Encoding.UTF8.GetBytes(new string('<', 64 * 1024));
        await using var upstream = await ScriptedRegistry.StartAsync();
        upstream.Handler = async c =>
        {
            c.Response.StatusCode = status;
            c.Response.ContentType = type;
            c.Response.ContentLength = 1024L * chunk.Length;
            for (var i = 0; i < 1024 && !c.RequestAborted.IsCancellationRequested; i++)
            {
                await c.Response.Body.WriteAsync(chunk, c.RequestAborted);
            }
        };
        await using var rig = await Rig.StartAsync(upstream);

        using var response = await rig.Http.GetAsync(Blob, Ct);
        Assert.Equal(expected, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(body.Length < 4096, $"{body.Length} characters relayed");
        Assert.Equal(code, Code(body));
    }

    [Fact]
    public async Task ABodyThatBreaksBeforeItsFirstByteIsA502NotAReset()
    {
        await using var upstream = await ScriptedRegistry.StartAsync();
        upstream.Handler = async c =>
        {
            c.Response.StatusCode = 200;
            c.Response.ContentLength = 4096;
            c.Response.Headers["Docker-Content-Digest"] = "sha256:" + new string('4', 64);
            await c.Response.StartAsync();
            await c.Response.Body.FlushAsync();
            await Task.Delay(300);
            c.Abort();
        };
        await using var rig = await Rig.StartAsync(upstream);

        using var response = await rig.Http.GetAsync(Blob, Ct);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.Contains("Docker-Content-Digest"));
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(response.Content.Headers.ContentLength, Encoding.UTF8.GetByteCount(body));
        Assert.Equal("UNKNOWN", Code(body));
    }

    [Fact]
    public async Task ABodyThatBreaksMidwayCutsTheConnectionSoItNeverLooksComplete()
    {
        await using var upstream = await ScriptedRegistry.StartAsync();
        upstream.Handler = async c =>
        {
            c.Response.StatusCode = 200;
            c.Response.ContentLength = 4096;
            await c.Response.Body.WriteAsync(new byte[1024]);
            await c.Response.Body.FlushAsync();
            await Task.Delay(200);
            c.Abort();
        };
        await using var rig = await Rig.StartAsync(upstream);

        using var response = await rig.Http.GetAsync(Blob, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Assert.ThrowsAnyAsync<Exception>(() => response.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task AnUpstreamFailingPartWayThroughAPullAnswersEachRequestWithAStatus()
    {
        // Blobs 1 and 2 come, then upstream starts failing with 5xx: every answer is a status.
        var served = 0;
        await using var upstream = await ScriptedRegistry.StartAsync();
        upstream.Handler = async c =>
        {
            if (Interlocked.Increment(ref served) <= 2)
            {
                c.Response.ContentLength = 3;
                await c.Response.WriteAsync("abc");
                return;
            }

            c.Response.StatusCode = 500 + (served % 4);
            c.Response.ContentType = "text/html";
            await c.Response.WriteAsync("<h1>down</h1>");
        };
        await using var rig = await Rig.StartAsync(upstream);

        var statuses = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await rig.Http.GetAsync(Blob, Ct);
            statuses.Add((int)response.StatusCode);
            var body = await response.Content.ReadAsStringAsync(Ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Assert.Equal("UNKNOWN", Code(body));
            }
        }

        Assert.Equal([200, 200, 502, 502, 502, 502], statuses);
    }

    private static string? Code(string body)
    {
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("errors")[0].GetProperty("code").GetString();
    }

    /// <summary>The proxy in front of the scripted upstream, as <c>scripted.test</c>.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly TempDirectory _data;
        private readonly ProxyHost _proxy;

        private Rig(TempDirectory data, ProxyHost proxy)
        {
            _data = data;
            _proxy = proxy;
            Http = new HttpClient { BaseAddress = proxy.BaseUri };
        }

        public HttpClient Http { get; }

        public static async Task<Rig> StartAsync(ScriptedRegistry upstream)
        {
            var data = new TempDirectory();
            var proxy = await ProxyHost.StartAsync(data.Path, ["scripted.test=" + upstream.BaseUri], cancellationToken: Ct);
            return new Rig(data, proxy);
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await _proxy.DisposeAsync();
            _data.Dispose();
        }
    }
}
