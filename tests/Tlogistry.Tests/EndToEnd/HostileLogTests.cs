using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Client;
using Tlogistry.Client.Audit;
using Tlogistry.Client.History;
using Tlogistry.Http;
using Tlogistry.Signing;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Rekor;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// The proxy behind a hostile log: <see cref="HostileLog"/> fronts a real <c>tlogistry log
/// serve</c> and lies with the log's own key (re-signed SETs and checkpoints, a fork under the
/// same key) or through its API alone. Each lie answers 503 and pins nothing.
/// </summary>
[Trait("Category", "E2E")]
public sealed class HostileLogTests
{
    private const long Year2000 = 946684800;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("rekor-v1")]
    [InlineData("rekor-v2")]
    public async Task AForkUnderTheLogKeyIsRefusedWhetherSmallerOrLargerAndNeverPinned(string mode)
    {
        using var realDir = new TempDirectory();
        using var forkDir = new TempDirectory();
        using var data = new TempDirectory();
        await using var real = await LogServeProcess.StartAsync(realDir.Path, Ct);

        // The fork: a second log serve holding the same key, so everything it signs verifies.
        Directory.CreateDirectory(Path.Combine(forkDir.Path, "log"));
        File.Copy(Path.Combine(realDir.Path, "log", "log-key"), Path.Combine(forkDir.Path, "log", "log-key"));
        await using var fork = await LogServeProcess.StartAsync(forkDir.Path, Ct);
        await using var front = await HostileLog.StartAsync(real);
        await using var upstream = await TagUpstream.StartAsync();
        var settings = Settings(mode, front, real, data.Path);
        await using var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        foreach (var tag in new[] { "t0", "t1", "t2" })
        {
            await AssertFirstSeenAsync(http, tag);
        }

        // A smaller fork (as if the log had been replaced by a young copy): the new entry's index
        // lies inside the tree the proxy already saw.
        front.Target = fork.BaseUri;
        await AssertRefusedAsync(http, "t3", "inside the tree of size 3");

        // A larger fork: its tree does not extend the remembered one.
        await AppendStrangersAsync(fork, mode, 5);
        await AssertRefusedAsync(http, "t4", "does not extend");

        // Back on the real log: the refused tags were never pinned, and the stored pins hold.
        front.Target = real.BaseUri;
        await AssertFirstSeenAsync(http, "t3");
        upstream.Move("t0");
        using var moved = await http.GetAsync("/v2/scripted.test/app/manifests/t0", Ct);
        Assert.Equal(HttpStatusCode.Conflict, moved.StatusCode);
    }

    [Fact]
    public async Task AReSignedAnswerThatReusesAStoredPinsIndexIsRefusedAndNothingIsPinnedFromMemory()
    {
        await using var rig = await Rig.StartAsync("rekor-v1");
        await AssertFirstSeenAsync(rig.Http, "t0");
        await AssertFirstSeenAsync(rig.Http, "t1");

        // The log appends, then answers with the index of t0's entry, SET re-signed over it.
        rig.Front.Rewrite = (method, path, answer) => method == "POST" && path == "/api/v1/log/entries" ? EachEntry(answer, e =>
        {
            e["logIndex"] = 0L;
            e["verification"]!["signedEntryTimestamp"] = rig.Front.SignEntryTimestamp(e, rig.V1LogId);
        }) : null;
        await AssertRefusedAsync(rig.Http, "t2", "that index belongs to an earlier entry");

        // t0 keeps its pin; t2 was not pinned in memory: the log's true entry is found by search, not recorded anew.
        rig.Front.Rewrite = null;
        rig.Upstream.Move("t0");
        using (var t0 = await rig.Http.GetAsync("/v2/scripted.test/app/manifests/t0", Ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, t0.StatusCode);
        }

        using var t2 = await rig.Http.GetAsync("/v2/scripted.test/app/manifests/t2", Ct);
        Assert.Equal(HttpStatusCode.OK, t2.StatusCode);
        Assert.False(t2.Headers.Contains("Tlog-First-Seen"));
        Assert.Equal("2", t2.Headers.GetValues("Tlog-Logindex").Single());
    }

    [Theory]
    [InlineData("rekor-v1")]
    [InlineData("rekor-v2")]
    public async Task StoredPinsAreStillServedAndStillRefuseOnAColdCacheWhileTheLogCannotAnswer(string mode)
    {
        await using var rig = await Rig.StartAsync(mode);
        await AssertFirstSeenAsync(rig.Http, "t0");
        await AssertFirstSeenAsync(rig.Http, "t1");

        // A fresh process (cold pin cache) whose log is gone: t0's checkpoint is older than the
        // remembered one and cannot be proven consistent now, yet the pin it holds still decides.
        rig.Front.Target = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        await using var cold = await ProxyHost.StartAsync(rig.Data.Path, rig.Upstream.Mapping, rig.Settings, Ct);
        using var http = new HttpClient { BaseAddress = cold.BaseUri };
        using (var same = await http.GetAsync("/v2/scripted.test/app/manifests/t0", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, same.StatusCode);
            Assert.Equal("0", same.Headers.GetValues("Tlog-Logindex").Single());
        }

        rig.Upstream.Move("t1");
        using (var moved = await http.GetAsync("/v2/scripted.test/app/manifests/t1", Ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, moved.StatusCode);
        }

        // A tag with no pin cannot be recorded without the log: that is the outage.
        using var fresh = await http.GetAsync("/v2/scripted.test/app/manifests/t2", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, fresh.StatusCode);
    }

    [Fact]
    public async Task ASignedEntryTimestampWithoutAnInclusionProofNeverPins()
    {
        await using var rig = await Rig.StartAsync("rekor-v1");
        rig.Front.Rewrite = (method, path, answer) => method == "POST" && path == "/api/v1/log/entries"
            ? EachEntry(answer, e => e["verification"]!.AsObject().Remove("inclusionProof"))
            : null;
        await AssertRefusedAsync(rig.Http, "t0", "a signed entry timestamp alone does not make a sighting");
    }

    [Theory]
    [InlineData("rekor-v1")]
    [InlineData("rekor-v2")]
    public async Task ATimeTheLogDidNotSignIsNeverShownAsTheLogsTime(string mode)
    {
        await using var rig = await Rig.StartAsync(mode);
        rig.Front.Rewrite = (method, path, answer) =>
            method != "POST" ? null
            : mode == "rekor-v1" && path == "/api/v1/log/entries" ? EachEntry(answer, e =>
            {
                e["integratedTime"] = Year2000;
                e["verification"]!.AsObject().Remove("signedEntryTimestamp");
            })
            : mode == "rekor-v2" && answer is JsonObject v2 ? SetTime(v2)
            : null;

        using var pulled = await rig.Http.GetAsync("/v2/scripted.test/app/manifests/t0", Ct);
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.False(pulled.Headers.Contains("Tlog-Integratedtime"));

        var history = new StringWriter();
        Assert.Equal(0, await ImageHistory.RunAsync(new HistoryRequest("scripted.test/app", rig.Proxy.BaseUri, null, true, TrustFlags.None), history, TextWriter.Null, Ct));
        Assert.DoesNotContain("2000-01-01", history.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"verified\"", history.ToString(), StringComparison.Ordinal);

        static JsonObject SetTime(JsonObject v2)
        {
            v2["integratedTime"] = Year2000.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return v2;
        }
    }

    [Fact]
    public async Task ASearchAnswerThatFailsVerificationIsTamperingNotAnOutage()
    {
        await using var rig = await Rig.StartAsync("rekor-v1", ("Tlogistry:OnLogUnavailable", "serve"));
        await AssertFirstSeenAsync(rig.Http, "t0");

        // A second instance with the same key and no store, the tag moved; the log answers the
        // search with a body that is not the entry's.
        using var lost = new TempDirectory();
        File.Copy(Path.Combine(rig.Data.Path, "signing-key.pem"), Path.Combine(lost.Path, "signing-key.pem"));
        rig.Upstream.Move("t0");
        rig.Front.Rewrite = (method, path, answer) => method == "POST" && path == "/api/v1/log/entries/retrieve" && answer is JsonArray
            ? EachEntry(answer, e => e["body"] = Convert.ToBase64String("{\"kind\":\"intoto\"}"u8.ToArray()))
            : null;
        await using var proxy = await ProxyHost.StartAsync(lost.Path, rig.Upstream.Mapping, rig.Settings, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        using var response = await http.GetAsync("/v2/scripted.test/app/manifests/t0", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.False(response.Headers.Contains("Tlog-Unverified"));
        Assert.Contains("does not name its body", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditReportsEntriesWhoseEvidenceFailsAndPublishedBundlesTheLogDoesNotHold()
    {
        await using var rig = await Rig.StartAsync("rekor-v1");
        await AssertFirstSeenAsync(rig.Http, "t0");
        await AssertFirstSeenAsync(rig.Http, "t1");
        var clean = await AuditAsync(rig);
        Assert.Equal(0, clean.Exit);

        // The log serves its entries with checkpoints signed by another key, and hides t1's entry.
        var stranger = Tlogistry.Transparency.Notes.Ed25519NoteSigner.Generate("stranger.example/log");
        rig.Front.Rewrite = (method, path, answer) => method == "POST" && path == "/api/v1/log/entries/retrieve" && answer is JsonArray all
            ? HideAndResign(all, stranger)
            : null;
        var (exit, report) = await AuditAsync(rig);
        Assert.Equal(1, exit);
        Assert.Contains("unverified entry: log index 0", report, StringComparison.Ordinal);
        Assert.Contains("checkpoint check failed", report, StringComparison.Ordinal);
        Assert.Contains("not in log: log index 1", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASightingInAnotherTrustedLogIsNotAPin()
    {
        await using var rig = await Rig.StartAsync("rekor-v1");
        using var otherDir = new TempDirectory();
        await using var other = await LogServeProcess.StartAsync(otherDir.Path, Ct);

        // The operator's trusted root lists a second log (for older pins); the front sends the append there.
        var root = JsonNode.Parse(await File.ReadAllTextAsync(rig.Settings["Tlogistry:TrustedRoot"]!, Ct))!;
        foreach (var log in JsonNode.Parse(await File.ReadAllTextAsync(other.TrustedRootPath, Ct))!["tlogs"]!.AsArray())
        {
            root["tlogs"]!.AsArray().Add(log!.DeepClone());
        }

        await File.WriteAllTextAsync(rig.Settings["Tlogistry:TrustedRoot"]!, root.ToJsonString(), Ct);
        await rig.Proxy.DisposeAsync();
        await using var proxy = await ProxyHost.StartAsync(rig.Data.Path, rig.Upstream.Mapping, rig.Settings, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        rig.Front.Target = other.BaseUri;
        await AssertRefusedAsync(http, "t0", "not of the configured log");
    }

    [Fact]
    public async Task AnUnsignedLegacyEntryThatNamesOurKeyNeverBecomesANewPin()
    {
        await using var rig = await Rig.StartAsync("rekor-v1");
        using (var ours = InstanceKey.LoadOrCreate(Path.Combine(rig.Data.Path, "signing-key.pem")))
        {
            await RekorLogTests.PostLegacyAsync(rig.Log, ours, "scripted.test/app:t0", TagUpstream.DigestOf("t0", moved: true));
        }

        // The search finds an intoto 0.0.1 entry naming our key, which only the log vouches for.
        using var pulled = await rig.Http.GetAsync("/v2/scripted.test/app/manifests/t0", Ct);
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal("true", pulled.Headers.GetValues("Tlog-First-Seen").Single());
        Assert.Equal(TagUpstream.DigestOf("t0", moved: false), pulled.Headers.GetValues("Docker-Content-Digest").Single());
    }

    private static async Task<(int Exit, string Output)> AuditAsync(Rig rig)
    {
        var output = new StringWriter();
        var exit = await LogMonitor.RunAsync(new AuditRequest(0, rig.Proxy.BaseUri, true, LogChoice.Parse($"rekor-v1={rig.Front.BaseUri}"), null, false, new TrustFlags(rig.Settings["Tlogistry:TrustedRoot"], [], null, null), 1000), output, TextWriter.Null, Ct);
        return (exit, output.ToString());
    }

    /// <summary>Drops the entry at index 1 and replaces every checkpoint's signature with a stranger's.</summary>
    private static JsonArray HideAndResign(JsonArray all, Tlogistry.Transparency.Notes.Ed25519NoteSigner stranger)
    {
        foreach (var item in all.OfType<JsonObject>())
        {
            foreach (var (uuid, value) in item.ToList())
            {
                if (value is not JsonObject e)
                {
                    continue;
                }

                if (e["logIndex"]!.GetValue<long>() == 1)
                {
                    item.Remove(uuid);
                    continue;
                }

                var proof = e["verification"]!["inclusionProof"]!;
                var text = Tlogistry.Transparency.Notes.SignedNote.Parse(proof["checkpoint"]!.GetValue<string>()).Text;
                proof["checkpoint"] = Tlogistry.Transparency.Notes.NoteOpener.Sign(text, stranger);
            }
        }

        return all;
    }

    /// <summary>Applies <paramref name="change"/> to every entry of a Rekor v1 answer (an object keyed by UUID, or an array of them).</summary>
    private static JsonNode EachEntry(JsonNode answer, Action<JsonObject> change)
    {
        foreach (var item in answer is JsonArray array ? array.OfType<JsonObject>() : [answer.AsObject()])
        {
            foreach (var (_, value) in item.ToList())
            {
                if (value is JsonObject entry)
                {
                    change(entry);
                }
            }
        }

        return answer;
    }

    private static async Task AppendStrangersAsync(LogServeProcess log, string mode, int count)
    {
        using var key = InstanceKey.LoadOrCreate(Path.Combine(log.DataDir, "stranger.pem"));
        using var http = JsonHttp.CreateClient();
        var root = TrustedRoot.Parse(await File.ReadAllBytesAsync(log.TrustedRootPath, Ct));
        var choice = LogChoice.Parse($"{mode}={log.BaseUri}");
        ITransparencyLog client = mode == "rekor-v1"
            ? new RekorV1Log(log.BaseUri, choice.FindLogId(root), http, JsonHttpOptions.ForRekor(), NullLogger<RekorV1Log>.Instance)
            : new RekorV2Log(log.BaseUri, choice.FindLogId(root), http, JsonHttpOptions.ForRekor(), NullLogger<RekorV2Log>.Instance);
        for (var i = 0; i < count; i++)
        {
            await client.AppendAsync(key.SignEnvelope(Dsse.InTotoPayloadType, System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{i}}}")), SignerMaterial.ForKey(key.PublicKeyDer), Ct);
        }
    }

    private static Dictionary<string, string?> Settings(string mode, HostileLog front, LogServeProcess log, string dir) => new()
    {
        ["Tlogistry:Log"] = $"{mode}={front.BaseUri}",
        ["Tlogistry:TrustedRoot"] = front.TrustedRoot(log, dir),
        ["Tlogistry:Rekor:RetryDelay"] = "00:00:00.050",
    };

    private static async Task AssertFirstSeenAsync(HttpClient http, string tag)
    {
        using var response = await http.GetAsync("/v2/scripted.test/app/manifests/" + tag, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("true", response.Headers.GetValues("Tlog-First-Seen").Single());
    }

    private static async Task AssertRefusedAsync(HttpClient http, string tag, string reason)
    {
        using var response = await http.GetAsync("/v2/scripted.test/app/manifests/" + tag, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{tag}: {(int)response.StatusCode} {string.Join(", ", response.Headers.Select(h => h.Key + "=" + string.Join(" ", h.Value)))} {body}");
        Assert.Contains(reason, body, StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Tlog-First-Seen"));
    }

    /// <summary>A log serve process, the hostile front on it, a scripted upstream and the proxy logging through the front.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly TempDirectory _logDir;

        private Rig(TempDirectory logDir, TempDirectory data, LogServeProcess log, HostileLog front, TagUpstream upstream, ProxyHost proxy, Dictionary<string, string?> settings, byte[] v1LogId)
        {
            _logDir = logDir;
            Data = data;
            Log = log;
            Front = front;
            Upstream = upstream;
            Proxy = proxy;
            Settings = settings;
            V1LogId = v1LogId;
            Http = new HttpClient { BaseAddress = proxy.BaseUri };
        }

        public TempDirectory Data { get; }

        public LogServeProcess Log { get; }

        public HostileLog Front { get; }

        public TagUpstream Upstream { get; }

        public ProxyHost Proxy { get; }

        public Dictionary<string, string?> Settings { get; }

        public byte[] V1LogId { get; }

        public HttpClient Http { get; }

        public static async Task<Rig> StartAsync(string mode, params (string Key, string Value)[] extra)
        {
            var logDir = new TempDirectory();
            var data = new TempDirectory();
            var log = await LogServeProcess.StartAsync(logDir.Path, Ct);
            var front = await HostileLog.StartAsync(log);
            var upstream = await TagUpstream.StartAsync();
            var settings = HostileLogTests.Settings(mode, front, log, data.Path);
            foreach (var (key, value) in extra)
            {
                settings[key] = value;
            }

            var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct);
            var root = TrustedRoot.Parse(await File.ReadAllBytesAsync(log.TrustedRootPath, Ct));
            return new Rig(logDir, data, log, front, upstream, proxy, settings, LogIds.ForRekorV1(root.Logs[0].PublicKeyDer));
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Proxy.DisposeAsync();
            await Upstream.DisposeAsync();
            await Front.DisposeAsync();
            await Log.DisposeAsync();
            Data.Dispose();
            _logDir.Dispose();
        }
    }
}
