using System.Net;
using System.Text.Json;
using Tlogistry.Transparency.Embedded;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// Tag policies through the proxy: mutable tags follow upstream and are never logged,
/// serve-pinned answers a moved tag with its pinned bytes (or an error, never the moved ones),
/// and a registry's own settings beat the global ones.
/// </summary>
public sealed class TagPolicyPullTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AMutableTagFollowsUpstreamUnloggedWhileOtherTagsStayPinned()
    {
        await using var env = await Env.StartAsync(new() { ["Tlogistry:MutableTags:0"] = "^latest$" });

        using (var latest = await env.GetAsync("scripted.test/app", "latest"))
        {
            AssertMutable(latest, "latest", moved: false);
            Assert.Equal(TagUpstream.Body("latest", moved: false), await latest.Content.ReadAsByteArrayAsync(Ct));
        }

        using (var head = await env.SendAsync(HttpMethod.Head, "scripted.test/app", "latest"))
        {
            AssertMutable(head, "latest", moved: false);
        }

        using (var v1 = await env.GetAsync("scripted.test/app", "v1"))
        {
            Assert.Equal(HttpStatusCode.OK, v1.StatusCode);
            Assert.Equal("true", Header(v1, "Tlog-First-Seen"));
        }

        // A pattern is anchored as written: "latest-1" does not match ^latest$.
        using (var near = await env.GetAsync("scripted.test/app", "latest-1"))
        {
            Assert.Equal("true", Header(near, "Tlog-First-Seen"));
            Assert.Null(Header(near, "Tlog-Mutable"));
        }

        env.Upstream.Move("latest");
        env.Upstream.Move("v1");
        using (var moved = await env.GetAsync("scripted.test/app", "latest"))
        {
            AssertMutable(moved, "latest", moved: true);
            Assert.Equal(TagUpstream.Body("latest", moved: true), await moved.Content.ReadAsByteArrayAsync(Ct));
        }

        using (var refused = await env.GetAsync("scripted.test/app", "v1"))
        {
            await AssertErrorAsync(refused, HttpStatusCode.Conflict, "DENIED", TagUpstream.DigestOf("v1", moved: true));
        }

        Assert.Equal(2, env.LogSize);
        using var bundle = await env.Http.GetAsync("/tlog/bundle?image=scripted.test/app:latest", Ct);
        Assert.Equal(HttpStatusCode.NotFound, bundle.StatusCode);
    }

    [Fact]
    public async Task ATagPinnedBeforeItBecameMutableIsServedAsMutableAndItsPinStays()
    {
        await using var env = await Env.StartAsync();
        using (var pinned = await env.GetAsync("scripted.test/app", "latest"))
        {
            Assert.Equal("true", Header(pinned, "Tlog-First-Seen"));
        }

        env.Upstream.Move("latest");
        await env.RestartAsync(new() { ["Tlogistry:MutableTags:0"] = "^latest$" });
        using (var mutable = await env.GetAsync("scripted.test/app", "latest"))
        {
            AssertMutable(mutable, "latest", moved: true);
        }

        Assert.Equal(1, env.LogSize);
        using (var bundle = await env.Http.GetAsync("/tlog/bundle?image=scripted.test/app:latest", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, bundle.StatusCode);
        }

        // Made immutable again, the tag answers to its old pin.
        await env.RestartAsync();
        using var refused = await env.GetAsync("scripted.test/app", "latest");
        await AssertErrorAsync(refused, HttpStatusCode.Conflict, "DENIED", TagUpstream.DigestOf("latest", moved: false));
    }

    [Fact]
    public async Task ServePinnedAnswersAMovedTagWithThePinnedBytesAndNamesTheUpstreamDigest()
    {
        await using var env = await Env.StartAsync(new() { ["Tlogistry:OnMismatch"] = "serve-pinned" });
        var pinned = TagUpstream.DigestOf("v1", moved: false);
        var movedTo = TagUpstream.DigestOf("v1", moved: true);
        string uuid;
        using (var first = await env.GetAsync("scripted.test/app", "v1"))
        {
            Assert.Equal("true", Header(first, "Tlog-First-Seen"));
            Assert.Null(Header(first, "Tlog-Mismatch"));
            uuid = Header(first, "Tlog-Uuid")!;
        }

        env.Upstream.Move("v1");
        for (var round = 0; round < 2; round++)
        {
            // The second round starts without the manifest in memory: it is read by digest upstream.
            using (var served = await env.GetAsync("scripted.test/app", "v1"))
            {
                Assert.Equal(HttpStatusCode.OK, served.StatusCode);
                Assert.Equal(TagUpstream.Body("v1", moved: false), await served.Content.ReadAsByteArrayAsync(Ct));
                Assert.Equal(pinned, Header(served, "Docker-Content-Digest"));
                Assert.Equal(movedTo, Header(served, "Tlog-Mismatch"));
                Assert.Equal(uuid, Header(served, "Tlog-Uuid"));
                Assert.Equal("0", Header(served, "Tlog-Logindex"));
                Assert.NotNull(Header(served, "Tlog-Integratedtime"));
                Assert.Null(Header(served, "Tlog-First-Seen"));
                Assert.Equal(TagUpstream.ManifestType, served.Content.Headers.ContentType?.MediaType);
            }

            using (var head = await env.SendAsync(HttpMethod.Head, "scripted.test/app", "v1"))
            {
                Assert.Equal(HttpStatusCode.OK, head.StatusCode);
                Assert.Equal(pinned, Header(head, "Docker-Content-Digest"));
                Assert.Equal(movedTo, Header(head, "Tlog-Mismatch"));
                Assert.Equal(TagUpstream.Body("v1", moved: false).Length, head.Content.Headers.ContentLength);
            }

            await env.RestartAsync(new() { ["Tlogistry:OnMismatch"] = "serve-pinned" });
        }

        Assert.Contains($"GET /v2/app/manifests/{pinned}", env.Upstream.Seen);
        Assert.Equal(1, env.LogSize);

        // Back where it was pinned: served as usual, no mismatch named.
        env.Upstream.Restore("v1");
        using var restored = await env.GetAsync("scripted.test/app", "v1");
        Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        Assert.Null(Header(restored, "Tlog-Mismatch"));
        Assert.Equal(pinned, Header(restored, "Docker-Content-Digest"));
    }

    [Fact]
    public async Task ServePinnedFailsClosedWhenUpstreamNoLongerHasThePinnedManifest()
    {
        // No manifest cache: the pinned manifest must come from upstream every time.
        await using var env = await Env.StartAsync(new() { ["Tlogistry:OnMismatch"] = "serve-pinned", ["Tlogistry:ManifestCacheBytes"] = "0" });
        var pinned = TagUpstream.DigestOf("v1", moved: false);
        using (var first = await env.GetAsync("scripted.test/app", "v1"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        env.Upstream.Move("v1");
        env.Upstream.Forget(pinned);
        using (var gone = await env.GetAsync("scripted.test/app", "v1"))
        {
            var text = await AssertErrorAsync(gone, HttpStatusCode.BadGateway, "MANIFEST_UNKNOWN", pinned);
            Assert.Contains("nothing was served", text, StringComparison.Ordinal);
            Assert.DoesNotContain("v1-moved", text, StringComparison.Ordinal);
            Assert.Null(Header(gone, "Tlog-Mismatch"));
            Assert.Null(Header(gone, "Docker-Content-Digest"));
        }

        using (var head = await env.SendAsync(HttpMethod.Head, "scripted.test/app", "v1"))
        {
            Assert.Equal(HttpStatusCode.BadGateway, head.StatusCode);
            Assert.Null(Header(head, "Docker-Content-Digest"));
        }

        // Other bytes under the pinned digest are not the pinned manifest either.
        env.Upstream.Corrupt(pinned);
        using (var corrupt = await env.GetAsync("scripted.test/app", "v1"))
        {
            await AssertErrorAsync(corrupt, HttpStatusCode.BadGateway, "MANIFEST_INVALID", pinned);
        }

        Assert.Equal(1, env.LogSize);
    }

    [Fact]
    public async Task ARegistrysOwnSettingsBeatTheGlobalOnes()
    {
        await using var env = await Env.StartAsync(
            new()
            {
                ["Tlogistry:MutableTags:0"] = "^latest$",
                ["Tlogistry:OnMismatch"] = "serve-pinned",
                ["Tlogistry:Policies:0"] = "other.test:on-mismatch=fail",
                ["Tlogistry:Policies:1"] = "other.test:mutable-tag=^edge$",
                ["Tlogistry:Policies:2"] = "index.docker.io:mutable-tag=",
            },
            ["other.test", "docker.io"]);

        // Mutable here by the global list, pinned where the registry's own list replaces it.
        AssertMutable(await env.GetAsync("scripted.test/app", "latest"), "latest", moved: false);
        Assert.Equal("true", Header(await env.GetAsync("other.test/app", "latest"), "Tlog-First-Seen"));
        AssertMutable(await env.GetAsync("other.test/app", "edge"), "edge", moved: false);
        Assert.Equal("true", Header(await env.GetAsync("app", "latest"), "Tlog-First-Seen"));
        Assert.Equal("true", Header(await env.GetAsync("scripted.test/app", "v1"), "Tlog-First-Seen"));
        Assert.Equal("true", Header(await env.GetAsync("other.test/app", "v1"), "Tlog-First-Seen"));

        env.Upstream.Move("v1");
        env.Upstream.Move("latest");
        using (var servedPinned = await env.GetAsync("scripted.test/app", "v1"))
        {
            Assert.Equal(TagUpstream.DigestOf("v1", moved: true), Header(servedPinned, "Tlog-Mismatch"));
        }

        using (var refused = await env.GetAsync("other.test/app", "v1"))
        {
            await AssertErrorAsync(refused, HttpStatusCode.Conflict, "DENIED", TagUpstream.DigestOf("v1", moved: true));
        }

        // docker.io (named index.docker.io in the setting) keeps the global serve-pinned.
        using (var hub = await env.GetAsync("app", "latest"))
        {
            Assert.Equal(HttpStatusCode.OK, hub.StatusCode);
            Assert.Equal(TagUpstream.DigestOf("latest", moved: false), Header(hub, "Docker-Content-Digest"));
            Assert.Equal(TagUpstream.DigestOf("latest", moved: true), Header(hub, "Tlog-Mismatch"));
        }

        Assert.Equal(4, env.LogSize);
    }

    public static TheoryData<string, string, string> BadSettings => new()
    {
        { "Tlogistry:MutableTags:0", "([", "--mutable-tag \"([\" is not a valid .NET regular expression" },
        { "Tlogistry:OnMismatch", "serve-upstream", "--on-mismatch must be fail or serve-pinned, got \"serve-upstream\"" },
        { "Tlogistry:Policies:0", "ghcr.io:on-mismatch=sometimes", "--policy ghcr.io:on-mismatch must be fail or serve-pinned" },
        { "Tlogistry:Policies:0", "ghcr.io:mutable-tag=(?<", "--policy ghcr.io:mutable-tag \"(?<\" is not a valid .NET regular expression" },
        { "Tlogistry:Policies:0", "ghcr.io/org:on-mismatch=fail", "is not a registry host" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task ABadPolicySettingStopsTheStartWithItsReason(string key, string value, string reason)
    {
        using var data = new TempDirectory();
        var e = await Assert.ThrowsAsync<FormatException>(() => ProxyHost.StartAsync(data.Path, [], new Dictionary<string, string?> { [key] = value }, Ct));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(data.Path, "signing-key.pem")));
    }

    private static void AssertMutable(HttpResponseMessage response, string tag, bool moved)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("true", Header(response, "Tlog-Mutable"));
        Assert.Equal(TagUpstream.DigestOf(tag, moved), Header(response, "Docker-Content-Digest"));
        foreach (var pinHeader in new[] { "Tlog-Uuid", "Tlog-Logindex", "Tlog-Integratedtime", "Tlog-First-Seen", "Tlog-Mismatch" })
        {
            Assert.Null(Header(response, pinHeader));
        }
    }

    private static async Task<string> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code, string messagePart)
    {
        Assert.Equal(status, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync(Ct);
        using var doc = JsonDocument.Parse(text);
        var error = doc.RootElement.GetProperty("errors")[0];
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Contains(messagePart, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        return text;
    }

    private static string? Header(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out var v) || r.Content.Headers.TryGetValues(name, out v) ? string.Join(",", v) : null;

    /// <summary>A proxy in front of one <see cref="TagUpstream"/>, mapped as scripted.test and any other hosts given.</summary>
    private sealed class Env : IAsyncDisposable
    {
        private readonly TempDirectory _data = new();
        private string[] _mapping = [];
        private ProxyHost? _proxy;

        public TagUpstream Upstream { get; private set; } = null!;

        public HttpClient Http { get; private set; } = null!;

        public long LogSize => ((EmbeddedLog)_proxy!.Services.GetService(typeof(EmbeddedLog))!).Size;

        public static async Task<Env> StartAsync(Dictionary<string, string?>? settings = null, string[]? alsoAs = null)
        {
            var env = new Env { Upstream = await TagUpstream.StartAsync() };
            env._mapping = [.. env.Upstream.Mapping, .. (alsoAs ?? []).Select(h => h + "=" + env.Upstream.BaseUri)];
            await env.RestartAsync(settings);
            return env;
        }

        /// <summary>Stops the proxy (dropping what it held in memory) and starts it on the same data with these settings.</summary>
        public async Task RestartAsync(Dictionary<string, string?>? settings = null)
        {
            if (_proxy is not null)
            {
                Http.Dispose();
                await _proxy.DisposeAsync();
            }

            _proxy = await ProxyHost.StartAsync(_data.Path, _mapping, settings, Ct);
            Http = new HttpClient { BaseAddress = _proxy.BaseUri };
        }

        public Task<HttpResponseMessage> GetAsync(string name, string tag) => SendAsync(HttpMethod.Get, name, tag);

        public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string name, string tag)
        {
            using var request = new HttpRequestMessage(method, $"/v2/{name}/manifests/{tag}");
            var response = await Http.SendAsync(request, Ct);
            await response.Content.LoadIntoBufferAsync(Ct);
            return response;
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            if (_proxy is not null)
            {
                await _proxy.DisposeAsync();
            }

            await Upstream.DisposeAsync();
            _data.Dispose();
        }
    }
}
