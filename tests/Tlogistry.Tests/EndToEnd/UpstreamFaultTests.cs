using Microsoft.AspNetCore.Http;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tlogistry.Transparency.Embedded;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>Upstream faults give OCI errors and never a pin.</summary>
public sealed class UpstreamFaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FaultyUpstreamAnswersMapToClearErrorsAndPinNothing()
    {
        await using var upstream = await ScriptedRegistry.StartAsync();
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, ["scripted.test=" + upstream.BaseUri], cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        var manifest = Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{},\"layers\":[]}");
        var real = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(manifest));

        // A Docker-Content-Digest that disagrees with the bytes.
        upstream.Handler = async c =>
        {
            c.Response.ContentType = "application/vnd.oci.image.manifest.v1+json";
            c.Response.Headers["Docker-Content-Digest"] = "sha256:" + new string('a', 64);
            await c.Response.Body.WriteAsync(manifest);
        };
        await AssertError(http, "/v2/scripted.test/x/manifests/v1", HttpStatusCode.BadGateway, "MANIFEST_INVALID", "does not match");

        // 5xx, and 429 with Retry-After.
        upstream.Handler = c =>
        {
            c.Response.StatusCode = 503;
            return Task.CompletedTask;
        };
        await AssertError(http, "/v2/scripted.test/x/manifests/v1", HttpStatusCode.BadGateway, null, "503");
        upstream.Handler = c =>
        {
            c.Response.StatusCode = 429;
            c.Response.Headers.RetryAfter = "17";
            return Task.CompletedTask;
        };
        using (var limited = await http.GetAsync("/v2/scripted.test/x/manifests/v1", Ct))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(17), limited.Headers.RetryAfter?.Delta);
        }

        // Over the 4 MiB manifest limit.
        upstream.Handler = async c =>
        {
            c.Response.ContentType = "application/vnd.oci.image.manifest.v1+json";
            await c.Response.Body.WriteAsync(new byte[(4 << 20) + 1]);
        };
        await AssertError(http, "/v2/scripted.test/x/manifests/v1", HttpStatusCode.BadGateway, "MANIFEST_INVALID", "4 MiB");

        var log = (EmbeddedLog)proxy.Services.GetService(typeof(EmbeddedLog))!;
        Assert.Equal(0, log.Size);

        // Once upstream tells the truth, the tag is pinned to the real digest.
        upstream.Handler = async c =>
        {
            c.Response.ContentType = "application/vnd.oci.image.manifest.v1+json";
            c.Response.Headers["Docker-Content-Digest"] = real;
            await c.Response.Body.WriteAsync(manifest);
        };
        using var ok = await http.GetAsync("/v2/scripted.test/x/manifests/v1", Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(real, ok.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(1, log.Size);
    }

    [Fact]
    public async Task TagListPagingIsPassedOnAndTheLinkNamesTheClientsRepository()
    {
        // Distribution 2.8 ignores n and last, so paging is checked against a registry that
        // pages as the distribution spec says: n and last in, a Link to the next page out.
        await using var upstream = await ScriptedRegistry.StartAsync();
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, ["docker.io=" + upstream.BaseUri], cancellationToken: Ct);
        string? seenPath = null;
        upstream.Handler = async c =>
        {
            seenPath = c.Request.Path + c.Request.QueryString;
            c.Response.Headers.Link = "</v2/library/alpine/tags/list?last=b&n=2>; rel=\"next\"";
            c.Response.ContentType = "application/json";
            await c.Response.WriteAsync("{\"name\":\"library/alpine\",\"tags\":[\"a\",\"b\"]}");
        };
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        using var page = await http.GetAsync("/v2/alpine/tags/list?n=2&last=0&evil=1", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("/v2/library/alpine/tags/list?n=2&last=0", seenPath);
        Assert.Equal("</v2/alpine/tags/list?last=b&n=2>; rel=\"next\"", page.Headers.GetValues("Link").Single());
    }

    [Fact]
    public async Task AnUnreachableUpstreamGives502WithTheReason()
    {
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, ["down.test=http://127.0.0.1:9"], cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        // Named by the registry the client asked for; the mapped address is in the service log only.
        await AssertError(http, "/v2/down.test/x/manifests/v1", HttpStatusCode.BadGateway, null, "request to upstream down.test failed (reference ");
        await AssertError(http, "/v2/down.test/x/blobs/sha256:" + new string('1', 64), HttpStatusCode.BadGateway, null, "request to upstream down.test failed (reference ");
        using var response = await http.GetAsync("/v2/down.test/x/manifests/v1", Ct);
        Assert.DoesNotContain("127.0.0.1:9", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    private static async Task AssertError(HttpClient http, string path, HttpStatusCode status, string? code, string messagePart)
    {
        using var response = await http.GetAsync(path, Ct);
        Assert.Equal(status, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var error = doc.RootElement.GetProperty("errors")[0];
        if (code is not null)
        {
            Assert.Equal(code, error.GetProperty("code").GetString());
        }

        Assert.Contains(messagePart, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
