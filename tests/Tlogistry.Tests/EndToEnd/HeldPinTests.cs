using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// A pinned tag is answered from the manifest held in the store while upstream fails to answer
/// (marked Tlog-Stale) and, with --revalidate-after, without asking upstream at all; a tag never
/// pinned, a tag that moved, and held bytes that do not hash to the pin never are.
/// </summary>
public sealed class HeldPinTests
{
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Failures => ["429", "503", "hang", "refused"];

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task APinnedTagIsServedStaleWhenUpstreamFailsToAnswerAndANewTagGetsTheError(string failure)
    {
        await using var env = await Env.StartAsync(failure == "hang" ? new() { ["Tlogistry:Upstream:ResponseTimeout"] = "00:00:01" } : null);
        using var pinned = await env.GetAsync("v1");
        Assert.Equal("true", pinned.Headers.GetValues("Tlog-First-Seen").Single());

        await env.FailAsync(failure);
        using (var stale = await env.GetAsync("v1"))
        {
            Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
            Assert.Equal("true", stale.Headers.GetValues("Tlog-Stale").Single());
            Assert.Equal(pinned.Headers.GetValues("Tlog-Uuid").Single(), stale.Headers.GetValues("Tlog-Uuid").Single());
            Assert.Equal(Upstream.Body("v1"), await stale.Content.ReadAsByteArrayAsync(Ct));
            Assert.Equal(Digest(Upstream.Body("v1")), stale.Headers.GetValues("Docker-Content-Digest").Single());
            Assert.Equal(ManifestType, stale.Content.Headers.ContentType!.MediaType);
        }

        using (var head = await env.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v2/scripted.test/x/manifests/v1"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal("true", head.Headers.GetValues("Tlog-Stale").Single());
        }

        using var unpinned = await env.GetAsync("v2");
        Assert.Equal(failure == "429" ? HttpStatusCode.TooManyRequests : HttpStatusCode.BadGateway, unpinned.StatusCode);
        Assert.False(unpinned.Headers.Contains("Tlog-Stale"));
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task WithOnUpstreamErrorFailTheUpstreamErrorIsTheAnswer(string failure)
    {
        var settings = new Dictionary<string, string?> { ["Tlogistry:OnUpstreamError"] = "fail", ["Tlogistry:Upstream:ResponseTimeout"] = "00:00:01" };
        await using var env = await Env.StartAsync(settings);
        using (var pinned = await env.GetAsync("v1"))
        {
            Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
        }

        await env.FailAsync(failure);
        using var refused = await env.GetAsync("v1");
        Assert.Equal(failure == "429" ? HttpStatusCode.TooManyRequests : HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.False(refused.Headers.Contains("Tlog-Stale"));
    }

    [Fact]
    public async Task AnUpstreamThatAnswersIsNeverOverruledByTheHeldManifest()
    {
        await using var env = await Env.StartAsync();
        using (var pinned = await env.GetAsync("v1"))
        {
            Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
        }

        // A tag that moved is refused on upstream's bytes, not answered from the held ones.
        env.Upstream.Moved = true;
        using (var moved = await env.GetAsync("v1"))
        {
            Assert.Equal(HttpStatusCode.Conflict, moved.StatusCode);
            Assert.False(moved.Headers.Contains("Tlog-Stale"));
        }

        // A tag upstream no longer has is unknown, not stale.
        env.Upstream.Moved = false;
        env.Upstream.Status = 404;
        using var gone = await env.GetAsync("v1");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.False(gone.Headers.Contains("Tlog-Stale"));
    }

    [Fact]
    public async Task WithinRevalidateAfterUpstreamIsNotAskedAgain()
    {
        await using var env = await Env.StartAsync(new() { ["Tlogistry:RevalidateAfter"] = "1h" });
        using var pinned = await env.GetAsync("v1");
        var asked = env.Upstream.Requests;

        for (var i = 0; i < 3; i++)
        {
            using var again = await env.GetAsync("v1");
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Equal(Upstream.Body("v1"), await again.Content.ReadAsByteArrayAsync(Ct));
            Assert.Equal(pinned.Headers.GetValues("Tlog-Uuid").Single(), again.Headers.GetValues("Tlog-Uuid").Single());
            Assert.False(again.Headers.Contains("Tlog-Stale"));
        }

        Assert.Equal(asked, env.Upstream.Requests);

        // Another tag was never confirmed: upstream is asked.
        using var other = await env.GetAsync("v2");
        Assert.True(env.Upstream.Requests > asked);
    }

    [Fact]
    public async Task AfterRevalidateAfterUpstreamIsAskedAgain()
    {
        await using var env = await Env.StartAsync(new() { ["Tlogistry:RevalidateAfter"] = "1s" });
        using (var pinned = await env.GetAsync("v1"))
        {
            Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
        }

        var asked = env.Upstream.Requests;
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);
        using var again = await env.GetAsync("v1");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.True(env.Upstream.Requests > asked);
    }

    [Fact]
    public async Task WithTheDefaultWindowEveryPullAsksUpstream()
    {
        await using var env = await Env.StartAsync();
        using (var pinned = await env.GetAsync("v1"))
        {
            Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
        }

        var asked = env.Upstream.Requests;
        using var again = await env.GetAsync("v1");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.True(env.Upstream.Requests > asked);
    }

    [Fact]
    public async Task AHeldRowWhoseBytesDoNotHashToThePinIsNeverServed()
    {
        using var data = new TempDirectory();
        await using var upstream = await Upstream.StartAsync();
        await using (var first = await ProxyHost.StartAsync(data.Path, [upstream.Mapping], cancellationToken: Ct))
        {
            using var http = new HttpClient { BaseAddress = first.BaseUri };
            using var pinned = await http.GetAsync("/v2/scripted.test/x/manifests/v1", Ct);
            Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
        }

        // Other manifest bytes under the pinned digest, written behind the proxy's back.
        var forged = Upstream.Body("forged");
        using (var c = new SqliteConnection($"Data Source={Path.Combine(data.Path, "index.db")};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE held_manifests SET bytes = $b, size = $n";
            cmd.Parameters.AddWithValue("$b", forged);
            cmd.Parameters.AddWithValue("$n", forged.Length);
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }

        upstream.Status = 503;
        await using var proxy = await ProxyHost.StartAsync(data.Path, [upstream.Mapping], cancellationToken: Ct);
        using var client = new HttpClient { BaseAddress = proxy.BaseUri };
        using var refused = await client.GetAsync("/v2/scripted.test/x/manifests/v1", Ct);
        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.False(refused.Headers.Contains("Tlog-Stale"));
        Assert.DoesNotContain("forged", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithNoBytesHeldAPinnedTagGetsTheUpstreamError()
    {
        await using var env = await Env.StartAsync(new() { ["Tlogistry:HeldManifestBytes"] = "0" });
        using (var pinned = await env.GetAsync("v1"))
        {
            Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
        }

        await env.FailAsync("503");
        using var refused = await env.GetAsync("v1");
        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task HeldBytesSurviveARestart(string store)
    {
        await using var database = store == "postgres" ? await PostgresDatabase.CreateAsync(Ct) : null;
        var settings = new Dictionary<string, string?>();
        if (database is not null)
        {
            settings["Tlogistry:Store"] = "postgres=" + database.ConnectionString;
        }

        using var data = new TempDirectory();
        if (database is not null)
        {
            // Replicas sharing a store never make their own key.
            Tlogistry.Signing.InstanceKey.LoadOrCreate(Path.Combine(data.Path, "signing-key.pem")).Dispose();
        }

        await using var upstream = await Upstream.StartAsync();
        string uuid;
        await using (var first = await ProxyHost.StartAsync(data.Path, [upstream.Mapping], settings, Ct))
        {
            using var http = new HttpClient { BaseAddress = first.BaseUri };
            using var pinned = await http.GetAsync("/v2/scripted.test/x/manifests/v1", Ct);
            Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
            uuid = pinned.Headers.GetValues("Tlog-Uuid").Single();
        }

        upstream.Status = 503;
        await using var proxy = await ProxyHost.StartAsync(data.Path, [upstream.Mapping], settings, Ct);
        using var client = new HttpClient { BaseAddress = proxy.BaseUri };
        using var stale = await client.GetAsync("/v2/scripted.test/x/manifests/v1", Ct);
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal("true", stale.Headers.GetValues("Tlog-Stale").Single());
        Assert.Equal(uuid, stale.Headers.GetValues("Tlog-Uuid").Single());
        Assert.Equal(Upstream.Body("v1"), await stale.Content.ReadAsByteArrayAsync(Ct));
    }

    /// <summary>
    /// The held bytes are a shortcut only: when the store cannot give the tag's pin, a warm pull
    /// makes the full GET it would make without them, and the ledger's failure decides the
    /// answer as always (503, or upstream's bytes marked unverified with
    /// <c>--on-log-unavailable serve</c>); the held bytes are never served unverified.
    /// </summary>
    [Theory]
    [InlineData("fail")]
    [InlineData("serve")]
    public async Task AWarmPullWhosePinCannotBeReadFallsBackToAFullGetAndTheLedgersAnswer(string onLogUnavailable)
    {
        using var data = new TempDirectory();
        await using var upstream = await Upstream.StartAsync();
        var settings = new Dictionary<string, string?> { ["Tlogistry:OnLogUnavailable"] = onLogUnavailable };
        await using (var first = await ProxyHost.StartAsync(data.Path, [upstream.Mapping], settings, Ct))
        {
            using var http = new HttpClient { BaseAddress = first.BaseUri };
            using var pinned = await http.GetAsync("/v2/scripted.test/x/manifests/v1", Ct);
            Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
        }

        await using var proxy = await ProxyHost.StartAsync(data.Path, [upstream.Mapping], settings, Ct);
        using var client = new HttpClient { BaseAddress = proxy.BaseUri };

        // A new process, so the pin is not in memory; its row becomes unreadable, the held row stays.
        await using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(data.Path, "index.db")};Pooling=False"))
        {
            await db.OpenAsync(Ct);
            await using var rename = db.CreateCommand();
            rename.CommandText = "ALTER TABLE sightings RENAME TO sightings_unreadable";
            await rename.ExecuteNonQueryAsync(Ct);
        }

        var gets = upstream.Gets;
        using var answer = await client.GetAsync("/v2/scripted.test/x/manifests/v1", Ct);
        Assert.Equal(gets + 1, upstream.Gets);
        if (onLogUnavailable == "fail")
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            Assert.Contains("\"UNAVAILABLE\"", await answer.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal("true", answer.Headers.GetValues("Tlog-Unverified").Single());
            Assert.False(answer.Headers.Contains("Tlog-Uuid"));
            Assert.Equal(Upstream.Body("v1"), await answer.Content.ReadAsByteArrayAsync(Ct));
        }
    }

    [Fact]
    public async Task WithTheRealRegistryStoppedSkopeoStillReadsAPinnedManifest()
    {
        using var layout = new TempDirectory();
        var builder = new OciImageBuilder(layout.Path);
        var image = builder.AddImage("v1", "held image");
        var other = builder.AddImage("v2", "never pulled");
        using var data = new TempDirectory();
        var registry = await DistributionRegistry.StartAsync(cancellationToken: Ct);
        await using var proxy = await ProxyHost.StartAsync(data.Path, ["dist.test=" + registry.BaseUri], cancellationToken: Ct);
        try
        {
            await Skopeo.CopyAsync(image.Reference, $"docker://{registry.HostPort}/team/app:v1", cancellationToken: Ct);
            await Skopeo.CopyAsync(other.Reference, $"docker://{registry.HostPort}/team/app:v2", cancellationToken: Ct);
            var proxied = $"docker://{proxy.HostPort}/dist.test/team/app";
            Assert.Equal(image.ManifestBytes, await Skopeo.InspectRawAsync(proxied + ":v1", cancellationToken: Ct));
        }
        finally
        {
            await registry.DisposeAsync();
        }

        Assert.Equal(image.ManifestBytes, await Skopeo.InspectRawAsync($"docker://{proxy.HostPort}/dist.test/team/app:v1", cancellationToken: Ct));
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        using (var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v2/dist.test/team/app/manifests/v1"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal("true", head.Headers.GetValues("Tlog-Stale").Single());
            Assert.Equal(image.ManifestDigest, head.Headers.GetValues("Docker-Content-Digest").Single());
        }

        using var unpinned = await http.GetAsync("/v2/dist.test/team/app/manifests/v2", Ct);
        Assert.Equal(HttpStatusCode.BadGateway, unpinned.StatusCode);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Skopeo.InspectRawAsync($"docker://{proxy.HostPort}/dist.test/team/app:v2", cancellationToken: Ct));
    }

    private static string Digest(byte[] body) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body));

    /// <summary>
    /// An upstream that serves tag t a manifest naming t (another one when moved), or fails as
    /// told: a status, a hang, or a closed port. It counts every request it is sent.
    /// </summary>
    private sealed class Upstream : IAsyncDisposable
    {
        private readonly ScriptedRegistry _registry;
        private int _requests;
        private int _gets;

        private Upstream(ScriptedRegistry registry)
        {
            _registry = registry;
            registry.Handler = ServeAsync;
        }

        public string Mapping => "scripted.test=" + _registry.BaseUri;

        public int Requests => Volatile.Read(ref _requests);

        /// <summary>GETs of a manifest (HEADs not counted): what a pull decided on bytes read now cost.</summary>
        public int Gets => Volatile.Read(ref _gets);

        public bool Moved { get; set; }

        public int Status { get; set; } = 200;

        public bool Hang { get; set; }

        public static async Task<Upstream> StartAsync() => new(await ScriptedRegistry.StartAsync());

        public static byte[] Body(string tag) =>
            Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"mediaType\":\"{ManifestType}\",\"config\":{{}},\"layers\":[],\"annotations\":{{\"t\":\"{tag}\"}}}}");

        public ValueTask DisposeAsync() => _registry.DisposeAsync();

        private async Task ServeAsync(HttpContext c)
        {
            Interlocked.Increment(ref _requests);
            if (Hang)
            {
                await Task.Delay(Timeout.Infinite, c.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            if (Status != 200)
            {
                c.Response.StatusCode = Status;
                if (Status == 429)
                {
                    c.Response.Headers.RetryAfter = "5";
                }

                return;
            }

            if (HttpMethods.IsGet(c.Request.Method) && c.Request.Path.Value!.Contains("/manifests/", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _gets);
            }

            var tag = c.Request.Path.Value!.Split('/')[^1];
            var body = Body(Moved ? tag + "-moved" : tag);
            c.Response.ContentType = ManifestType;
            c.Response.Headers["Docker-Content-Digest"] = Digest(body);
            if (!HttpMethods.IsHead(c.Request.Method))
            {
                await c.Response.Body.WriteAsync(body);
            }
        }
    }

    /// <summary>A proxy over <see cref="Upstream"/>, or over a closed port once told to fail with "refused".</summary>
    private sealed class Env : IAsyncDisposable
    {
        private readonly TempDirectory _data;
        private ProxyHost _proxy;

        private Env(TempDirectory data, Upstream upstream, ProxyHost proxy, Dictionary<string, string?> settings)
        {
            _data = data;
            Upstream = upstream;
            _proxy = proxy;
            Settings = settings;
            Http = new HttpClient { BaseAddress = proxy.BaseUri };
        }

        public Upstream Upstream { get; }

        public HttpClient Http { get; private set; }

        private Dictionary<string, string?> Settings { get; }

        public static async Task<Env> StartAsync(Dictionary<string, string?>? settings = null)
        {
            var data = new TempDirectory();
            var upstream = await Upstream.StartAsync();
            settings ??= [];
            var proxy = await ProxyHost.StartAsync(data.Path, [upstream.Mapping], settings, Ct);
            return new Env(data, upstream, proxy, settings);
        }

        public Task<HttpResponseMessage> GetAsync(string tag) => Http.GetAsync($"/v2/scripted.test/x/manifests/{tag}", Ct);

        /// <summary>From now on upstream answers 429 or 503, hangs, or (refused) is a port nothing listens on.</summary>
        public async Task FailAsync(string failure)
        {
            switch (failure)
            {
                case "429":
                    Upstream.Status = 429;
                    break;
                case "503":
                    Upstream.Status = 503;
                    break;
                case "hang":
                    Upstream.Hang = true;
                    break;
                case "refused":
                    await RestartOnClosedPortAsync();
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(failure), failure, null);
            }
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await _proxy.DisposeAsync();
            await Upstream.DisposeAsync();
            _data.Dispose();
        }

        private async Task RestartOnClosedPortAsync()
        {
            // The same data directory (pins and held bytes), upstream now an address that refuses connections.
            Http.Dispose();
            await _proxy.DisposeAsync();
            _proxy = await ProxyHost.StartAsync(_data.Path, ["scripted.test=http://127.0.0.1:" + FreePort.Next()], Settings, Ct);
            Http = new HttpClient { BaseAddress = _proxy.BaseUri };
        }
    }
}
