using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// Manifests by digest are answered from memory once their bytes were hashed, and a warm tag
/// whose pinned manifest is held costs upstream one HEAD. Upstream here records every request.
/// </summary>
public sealed class ManifestCacheTests
{
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AManifestByDigestIsFetchedOnceAndThenServedFromMemory()
    {
        await using var env = await Env.StartAsync();
        var body = Manifest("a");
        env.Serve("sha256:" + Hex(body), body);

        for (var i = 0; i < 3; i++)
        {
            using var r = await env.Http.GetAsync($"/v2/scripted.test/x/manifests/sha256:{Hex(body)}", Ct);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal(body, await r.Content.ReadAsByteArrayAsync(Ct));
            Assert.Equal("sha256:" + Hex(body), r.Headers.GetValues("Docker-Content-Digest").Single());
            Assert.Equal(ManifestType, r.Content.Headers.ContentType!.MediaType);
        }

        using (var head = await env.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/scripted.test/x/manifests/sha256:{Hex(body)}"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(body.Length, head.Content.Headers.ContentLength);
        }

        Assert.Equal(["GET /v2/x/manifests/sha256:" + Hex(body)], env.Seen());

        // Another repository is another question for upstream.
        using var other = await env.Http.GetAsync($"/v2/scripted.test/y/manifests/sha256:{Hex(body)}", Ct);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(2, env.Seen().Count);
    }

    [Fact]
    public async Task AWarmTagCostsOneHEADAndAMovedTagIsStillRefusedOnItsBytes()
    {
        await using var env = await Env.StartAsync();
        var body = Manifest("v1");
        var digest = "sha256:" + Hex(body);
        env.Serve("v1", body);

        using (var first = await env.Http.GetAsync("/v2/scripted.test/x/manifests/v1", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal("true", first.Headers.GetValues("Tlog-First-Seen").Single());
        }

        // The client's next step, the manifest by digest, needs no upstream request.
        using (var byDigest = await env.Http.GetAsync($"/v2/scripted.test/x/manifests/{digest}", Ct))
        {
            Assert.Equal(body, await byDigest.Content.ReadAsByteArrayAsync(Ct));
        }

        Assert.Equal(["GET /v2/x/manifests/v1"], env.Seen());

        using (var warm = await env.Http.GetAsync("/v2/scripted.test/x/manifests/v1", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
            Assert.Equal(body, await warm.Content.ReadAsByteArrayAsync(Ct));
            Assert.Equal(digest, warm.Headers.GetValues("Docker-Content-Digest").Single());
            Assert.False(warm.Headers.Contains("Tlog-First-Seen"));
        }

        Assert.Equal(["GET /v2/x/manifests/v1", "HEAD /v2/x/manifests/v1"], env.Seen());

        // The tag moves: the HEAD shows it, a GET reads the new bytes, and the pin refuses them.
        var moved = Manifest("v1-moved");
        env.Serve("v1", moved);
        using (var refused = await env.Http.GetAsync("/v2/scripted.test/x/manifests/v1", Ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            using var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Ct));
            Assert.Equal("DENIED", error.RootElement.GetProperty("errors")[0].GetProperty("code").GetString());
        }

        Assert.Equal(["HEAD /v2/x/manifests/v1", "GET /v2/x/manifests/v1"], env.Seen()[^2..]);

        // Upstream whose HEAD claims the pinned digest while its GET would serve other bytes:
        // the client still gets only the bytes that hash to the pin.
        env.Serve("v1", moved, headDigest: digest);
        using var lied = await env.Http.GetAsync("/v2/scripted.test/x/manifests/v1", Ct);
        Assert.Equal(HttpStatusCode.OK, lied.StatusCode);
        Assert.Equal(body, await lied.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task BytesThatDoNotHashToTheDigestAskedForAreRefusedAndNotKept()
    {
        await using var env = await Env.StartAsync();
        var asked = "sha256:" + Hex(Manifest("wanted"));
        var served = Manifest("something else");
        env.Serve(asked, served, headDigest: null);

        for (var i = 0; i < 2; i++)
        {
            using var r = await env.Http.GetAsync($"/v2/scripted.test/x/manifests/{asked}", Ct);
            Assert.Equal(HttpStatusCode.BadGateway, r.StatusCode);
            var text = await r.Content.ReadAsStringAsync(Ct);
            Assert.Contains("MANIFEST_INVALID", text, StringComparison.Ordinal);
            Assert.Contains("sha256:" + Hex(served), text, StringComparison.Ordinal);
        }

        Assert.Equal(2, env.Seen().Count);
    }

    [Fact]
    public async Task RangeRequestsAndACacheTurnedOffGoUpstreamEveryTime()
    {
        await using (var env = await Env.StartAsync())
        {
            var body = Manifest("r");
            env.Serve("sha256:" + Hex(body), body);
            for (var i = 0; i < 2; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/scripted.test/x/manifests/sha256:{Hex(body)}");
                request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 9);
                using var r = await env.Http.SendAsync(request, Ct);
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            }

            Assert.Equal(2, env.Seen().Count);
        }

        await using (var off = await Env.StartAsync(new Dictionary<string, string?> { ["Tlogistry:ManifestCacheBytes"] = "0" }))
        {
            var body = Manifest("off");
            off.Serve("v1", body);
            off.Serve("sha256:" + Hex(body), body);
            for (var i = 0; i < 2; i++)
            {
                using var byTag = await off.Http.GetAsync("/v2/scripted.test/x/manifests/v1", Ct);
                Assert.Equal(HttpStatusCode.OK, byTag.StatusCode);
                using var byDigest = await off.Http.GetAsync($"/v2/scripted.test/x/manifests/sha256:{Hex(body)}", Ct);
                Assert.Equal(body, await byDigest.Content.ReadAsByteArrayAsync(Ct));
            }

            // Without the cache every manifest by digest is a full GET; a warm tag is a HEAD,
            // its bytes read from the manifest held in the store for its pin.
            Assert.Equal(3, off.Seen().Count(s => s.StartsWith("GET ", StringComparison.Ordinal)));
            Assert.Equal(1, off.Seen().Count(s => s.StartsWith("HEAD ", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task ANegativeCacheSizeStopsTheStartWithItsReason()
    {
        using var data = new TempDirectory();
        var e = await Assert.ThrowsAsync<FormatException>(() => ProxyHost.StartAsync(
            data.Path, [], new Dictionary<string, string?> { ["Tlogistry:ManifestCacheBytes"] = "-1" }, Ct));
        Assert.Contains("ManifestCacheBytes", e.Message, StringComparison.Ordinal);
    }

    private static byte[] Manifest(string marker) =>
        Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"mediaType\":\"{ManifestType}\",\"config\":{{}},\"layers\":[],\"annotations\":{{\"m\":\"{marker}\"}}}}");

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>A proxy in front of an upstream that serves set manifests and records each request.</summary>
    private sealed class Env : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<string, (byte[] Body, string? HeadDigest)> _manifests = new();
        private readonly ConcurrentQueue<string> _seen = new();
        private readonly TempDirectory _data = new();
        private ScriptedRegistry _upstream = null!;
        private ProxyHost _proxy = null!;

        public HttpClient Http { get; private set; } = null!;

        public static async Task<Env> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
        {
            var env = new Env();
            env._upstream = await ScriptedRegistry.StartAsync();
            env._upstream.Handler = env.HandleAsync;
            env._proxy = await ProxyHost.StartAsync(env._data.Path, ["scripted.test=" + env._upstream.BaseUri], settings, Ct);
            env.Http = new HttpClient { BaseAddress = env._proxy.BaseUri };
            return env;
        }

        /// <summary>Serves <paramref name="body"/> for a reference; a HEAD claims <paramref name="headDigest"/> (default: the body's digest).</summary>
        public void Serve(string reference, byte[] body, string? headDigest = "") =>
            _manifests[reference] = (body, headDigest == "" ? "sha256:" + Hex(body) : headDigest);

        public List<string> Seen() => [.. _seen];

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await _proxy.DisposeAsync();
            await _upstream.DisposeAsync();
            _data.Dispose();
        }

        private async Task HandleAsync(HttpContext c)
        {
            _seen.Enqueue(c.Request.Method + " " + c.Request.Path);
            if (!_manifests.TryGetValue(c.Request.Path.Value!.Split('/')[^1], out var m))
            {
                c.Response.StatusCode = 404;
                return;
            }

            c.Response.ContentType = ManifestType;
            c.Response.ContentLength = m.Body.Length;
            // No HEAD digest set means no Docker-Content-Digest header on either method.
            var isHead = HttpMethods.IsHead(c.Request.Method);
            var claimed = m.HeadDigest is null ? null : isHead ? m.HeadDigest : "sha256:" + Hex(m.Body);
            if (claimed is not null)
            {
                c.Response.Headers["Docker-Content-Digest"] = claimed;
            }

            if (!isHead)
            {
                await c.Response.Body.WriteAsync(m.Body);
            }
        }
    }
}
