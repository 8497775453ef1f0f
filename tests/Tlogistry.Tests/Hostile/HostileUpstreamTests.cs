using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tlogistry.Store;
using Tlogistry.Transparency.Embedded;

namespace Tlogistry.Tests.Hostile;

/// <summary>
/// An upstream that follows the distribution protocol while lying about what it sends: HTML
/// with a script where a manifest, blob, tag list or referrers answer belongs, bodies that are
/// not manifests under a manifest type, and pagination links that point away. Nothing of it may
/// be rendered as a page of the proxy's origin, pinned, or followed elsewhere.
/// </summary>
[Trait("Category", "E2E")]
public sealed class HostileUpstreamTests
{
    private const string Page = "<!doctype html><html><body><script>alert(document.domain)</script></body></html>";
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    private static readonly byte[] PageBytes = Encoding.UTF8.GetBytes(Page);
    private static readonly string PageDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(PageBytes));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HtmlFromUpstreamIsNeverServedAsHtmlAndNoManifestOfItIsPinned()
    {
        await using var upstream = await ScriptedRegistry.StartAsync();
        upstream.Handler = async c =>
        {
            c.Response.ContentType = "text/html; charset=utf-8";
            c.Response.Headers["Docker-Content-Digest"] = PageDigest;
            c.Response.ContentLength = PageBytes.Length;
            if (!HttpMethods.IsHead(c.Request.Method))
            {
                await c.Response.Body.WriteAsync(PageBytes);
            }
        };
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, ["scripted.test=" + upstream.BaseUri], cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };

        // Every way a manifest leaves the proxy: by tag (GET and HEAD), by digest (read whole),
        // by digest as a range or another algorithm (passed through): 502 MANIFEST_INVALID.
        foreach (var (method, path, range) in new (HttpMethod, string, bool)[]
        {
            (HttpMethod.Get, "manifests/v1", false),
            (HttpMethod.Head, "manifests/v1", false),
            (HttpMethod.Get, "manifests/" + PageDigest, false),
            (HttpMethod.Get, "manifests/" + PageDigest, true),
            (HttpMethod.Get, "manifests/sha512:" + new string('a', 128), false),
        })
        {
            using var request = new HttpRequestMessage(method, "/v2/scripted.test/app/" + path);
            if (range)
            {
                request.Headers.Range = new RangeHeaderValue(0, 10);
            }

            using var response = await http.SendAsync(request, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.BadGateway, $"{method} {path}{(range ? " (range)" : "")}: {(int)response.StatusCode}");
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            AssertNotRenderable(response);
            if (method == HttpMethod.Get)
            {
                var body = await response.Content.ReadAsStringAsync(Ct);
                Assert.DoesNotContain("<script>", body, StringComparison.Ordinal);
                Assert.Contains("\"code\":\"MANIFEST_INVALID\"", body, StringComparison.Ordinal);
            }
        }

        // What passes through is typed by the route: a blob's bytes are opaque, a tag list is
        // JSON, a referrers answer an OCI index; none is HTML and none may render.
        foreach (var (path, type) in new[]
        {
            ("blobs/" + PageDigest, "application/octet-stream"),
            ("tags/list", "application/json"),
            ("referrers/" + PageDigest, "application/vnd.oci.image.index.v1+json"),
        })
        {
            using var response = await http.GetAsync("/v2/scripted.test/app/" + path, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.ToString());
            AssertNotRenderable(response);
            Assert.Equal(PageBytes, await response.Content.ReadAsByteArrayAsync(Ct));
        }

        Assert.Equal(0, proxy.Services.GetRequiredService<EmbeddedLog>().Size);
        Assert.Empty((await proxy.Services.GetRequiredService<ISightingIndex>().ListAsync(0, 10, Ct)).Sightings);
    }

    [Fact]
    public async Task ABodyThatIsNotAManifestIsRefusedAndNeverPinnedAndAManifestThenIs()
    {
        await using var upstream = await ScriptedRegistry.StartAsync();
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, ["scripted.test=" + upstream.BaseUri], cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        var log = proxy.Services.GetRequiredService<EmbeddedLog>();

        // 40 bytes that are not JSON, fed a few at a time under a manifest type.
        upstream.Handler = async c =>
        {
            c.Response.ContentType = ManifestType;
            c.Response.ContentLength = 40;
            for (var i = 0; i < 4; i++)
            {
                await c.Response.Body.WriteAsync(Encoding.ASCII.GetBytes("0123456789"));
                await c.Response.Body.FlushAsync();
                await Task.Delay(50);
            }
        };
        await AssertInvalidAsync(http, "drip", "not a JSON document");

        // JSON under a manifest type, but not the manifest it claims to be.
        foreach (var (contentType, body, reason) in new[]
        {
            (ManifestType, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}", "does not agree"),
            (ManifestType, "{\"schemaVersion\":1,\"config\":{},\"layers\":[]}", "schemaVersion"),
            (ManifestType, "\"a string\"", "not a JSON object"),
            ("application/vnd.docker.distribution.manifest.v1+prettyjws", "{\"schemaVersion\":1,\"name\":\"app\",\"tag\":\"old\",\"fsLayers\":[],\"history\":[]}", "Content-Type"),
            ("application/vnd.oci.artifact.manifest.v1+json", "{\"mediaType\":\"application/vnd.oci.artifact.manifest.v1+json\",\"artifactType\":\"x\",\"blobs\":[]}", "Content-Type"),
        })
        {
            upstream.Handler = c =>
            {
                c.Response.ContentType = contentType;
                return c.Response.WriteAsync(body);
            };
            await AssertInvalidAsync(http, "json", reason);
        }

        Assert.Equal(0, log.Size);
        Assert.Empty((await proxy.Services.GetRequiredService<ISightingIndex>().ListAsync(0, 10, Ct)).Sightings);

        // The same tag, once upstream serves a manifest, is pinned and served under its type.
        var manifest = "{\"schemaVersion\":2,\"config\":{},\"layers\":[]}";
        upstream.Handler = c =>
        {
            c.Response.ContentType = ManifestType + "; charset=utf-8";
            return c.Response.WriteAsync(manifest);
        };
        using var ok = await http.GetAsync("/v2/scripted.test/app/manifests/json", Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(ManifestType, ok.Content.Headers.ContentType?.ToString());
        AssertNotRenderable(ok);
        Assert.Equal(1, log.Size);
    }

    [Fact]
    public async Task OnlyPaginationLinksToTheSameEndpointUpstreamReachTheClient()
    {
        await using var upstream = await ScriptedRegistry.StartAsync();
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, ["scripted.test=" + upstream.BaseUri], cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        var authority = upstream.BaseUri.Authority;
        var link = "";
        upstream.Handler = c =>
        {
            c.Response.Headers.Link = link;
            c.Response.ContentType = "application/json";
            return c.Response.WriteAsync("{}");
        };

        var referrers = "referrers/sha256:" + new string('b', 64);
        foreach (var endpoint in new[] { "tags/list", referrers })
        {
            var upstreamPath = "/v2/app/" + endpoint;
            var proxied = "/v2/scripted.test/app/" + endpoint;
            foreach (var hostile in new[]
            {
                $"<//evil.example{upstreamPath}?last=b>; rel=\"next\"",
                $"<http://evil.example{upstreamPath}?last=b>; rel=\"next\"",
                $"<https://{authority}{upstreamPath}?last=b>; rel=\"next\"",
                $"<http://user@{authority}{upstreamPath}?last=b>; rel=\"next\"",
                $"<http://localhost:{upstream.BaseUri.Port}{upstreamPath}?last=b>; rel=\"next\"",
                "</v2/other/tags/list?last=b>; rel=\"next\"",
                "</v2/app/blobs/sha256:" + new string('c', 64) + ">; rel=\"next\"",
                "</tlog/bundles>; rel=\"next\"",
            })
            {
                link = hostile;
                using var response = await http.GetAsync(proxied, Ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.False(response.Headers.Contains("Link"), $"{endpoint}: {hostile} was passed on as {string.Join(", ", response.Headers.TryGetValues("Link", out var v) ? v : [])}");
            }

            foreach (var honest in new[] { $"<{upstreamPath}?last=b>; rel=\"next\"", $"<http://{authority}{upstreamPath}?last=b>; rel=\"next\"", $"<//{authority}{upstreamPath}?last=b>; rel=\"next\"" })
            {
                link = honest;
                using var response = await http.GetAsync(proxied, Ct);
                Assert.Equal($"<{proxied}?last=b>; rel=\"next\"", response.Headers.GetValues("Link").Single());
            }
        }
    }

    [Fact]
    public async Task APaginationLinkCarriesOnlyTheEndpointsParametersAndStaysOnItsRegistry()
    {
        await using var hub = await ScriptedRegistry.StartAsync();
        await using var evil = await ScriptedRegistry.StartAsync();
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, ["docker.io=" + hub.BaseUri, "evil.example=" + evil.BaseUri], cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        var extra = "";
        var seen = new List<string>();
        hub.Handler = c =>
        {
            seen.Add(c.Request.Path + c.Request.QueryString);
            c.Response.Headers.Link = $"</v2/library/alpine/tags/list?{extra}&last=b&n=2>; rel=\"next\"";
            c.Response.ContentType = "application/json";
            return c.Response.WriteAsync("{\"name\":\"library/alpine\",\"tags\":[\"a\"]}");
        };
        evil.Handler = c =>
        {
            c.Response.ContentType = "application/json";
            return c.Response.WriteAsync("{\"name\":\"alpine\",\"tags\":[\"evil\"]}");
        };

        // ns names another registry to the proxy, in any case and percent-encoded; the rest is no parameter of the endpoint.
        foreach (var lie in new[] { "ns=evil.example", "NS=evil.example", "%6Es=evil.example", "%4E%53=evil.example", "callback=x", "n%00=1" })
        {
            extra = lie;
            using var first = await http.GetAsync("/v2/alpine/tags/list?n=2", Ct);
            var link = first.Headers.GetValues("Link").Single();
            Assert.Equal("</v2/alpine/tags/list?last=b&n=2>; rel=\"next\"", link);

            using var next = await http.GetAsync(link[1..link.IndexOf('>', StringComparison.Ordinal)], Ct);
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
            Assert.Contains("\"a\"", await next.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        Assert.Equal(0, evil.Requests);
        Assert.Equal(12, seen.Count);
        Assert.All(seen.Where((_, i) => i % 2 == 1), s => Assert.Equal("/v2/library/alpine/tags/list?n=2&last=b", s));
    }

    [Fact]
    public async Task EveryAnswerOfTheProxySaysNosniffAndOnlyItsPagesMayRender()
    {
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        using (var pulled = await http.GetAsync("/v2/scripted.test/app/manifests/a", Ct))
        {
            AssertNotRenderable(pulled);
        }

        foreach (var path in new[]
        {
            "/v2/", "/v2/scripted.test/app/manifests/a", "/v2/UPPER/manifests/a", "/nothing", "/healthz", "/readyz", "/metrics",
            "/tlog/bundle?image=scripted.test/app:a", "/tlog/bundles", "/tlog/bundles?image=scripted.test/app", "/tlog/trusted_root.json",
            "/tlog/key.pem", "/checkpoint", "/history?image=Bad/Name",
        })
        {
            using var response = await http.GetAsync(path, Ct);
            AssertNotRenderable(response);
        }

        // The pages: nosniff, and a policy that loads nothing but their own style and runs no script.
        foreach (var path in new[] { "/", "/history", "/history?image=scripted.test/app" })
        {
            using var page = await http.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
            var policy = page.Headers.GetValues("Content-Security-Policy").Single();
            Assert.StartsWith("default-src 'none'; style-src 'sha256-", policy, StringComparison.Ordinal);
            Assert.DoesNotContain("script-src", policy, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe", policy, StringComparison.Ordinal);
        }
    }

    /// <summary>nosniff, and a sandbox that stops anything in the body from running as this origin.</summary>
    private static void AssertNotRenderable(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("sandbox", policy, StringComparison.Ordinal);
    }

    private static async Task AssertInvalidAsync(HttpClient http, string tag, string reason)
    {
        using var response = await http.GetAsync("/v2/scripted.test/app/manifests/" + tag, Ct);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var error = body.RootElement.GetProperty("errors")[0];
        Assert.Equal("MANIFEST_INVALID", error.GetProperty("code").GetString());
        Assert.Contains(reason, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Tlog-First-Seen"));
    }
}
