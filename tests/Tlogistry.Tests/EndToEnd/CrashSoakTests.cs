using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Tlogistry.Store;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// Crash safety of the embedded log and the index, as a soak: <c>tlogistry serve</c> is
/// killed with SIGKILL at a random moment during a burst of first sightings, again and
/// again on one data directory. After every restart each acknowledged sighting (served with
/// Tlog-First-Seen) is served again from the same log entry, tiles beyond the checkpoint
/// are gone, and after a graceful stop every indexed sighting proves inclusion and the
/// index holds exactly the log. Some trials also tear tile files or damage the checkpoint.
/// TLOGISTRY_SOAK_TRIALS sets the number of trials (scripts/crash-soak.sh runs many),
/// TLOGISTRY_SOAK_SEED replays a schedule, TLOGISTRY_SOAK_LOG also appends the report to a file.
/// </summary>
[Trait("Category", "E2E")]
public sealed class CrashSoakTests
{
    [Fact]
    public async Task Kill9DuringBurstsOfFirstSightingsLosesNothingAcknowledged()
    {
        var trials = int.TryParse(Environment.GetEnvironmentVariable("TLOGISTRY_SOAK_TRIALS"), CultureInfo.InvariantCulture, out var n) ? n : 4;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("TLOGISTRY_SOAK_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        var report = new SoakReport(Environment.GetEnvironmentVariable("TLOGISTRY_SOAK_LOG"));
        report.Line($"crash soak: {trials} trials, seed {seed} (replay the schedule with TLOGISTRY_SOAK_SEED={seed})");

        await using var soak = await CrashSoak.StartAsync(seed, report, TestContext.Current.CancellationToken);
        string? failure = null;
        for (var t = 0; t < trials && failure is null; t++)
        {
            failure = await soak.RunTrialAsync(t, trials);
        }

        report.Line(soak.Tally.Format(seed));
        Assert.True(failure is null, failure);
    }
}

/// <summary>Counts over the whole soak.</summary>
internal sealed class SoakTally
{
    public int Trials { get; set; }

    public int Kills { get; set; }

    public int Requests { get; set; }

    public int Acknowledged { get; set; }

    public int LoggedUnacknowledged { get; set; }

    public int Reindexed { get; set; }

    public int TornFound { get; set; }

    public int TornInjected { get; set; }

    public int CutBack { get; set; }

    public int CheckpointRefusals { get; set; }

    public int Failures { get; set; }

    public long LogSize { get; set; }

    public string Format(int seed) =>
        string.Create(CultureInfo.InvariantCulture, $"crash soak tally: trials={Trials} kills={Kills} requests={Requests} acknowledged={Acknowledged} ") +
        string.Create(CultureInfo.InvariantCulture, $"logged-unacknowledged={LoggedUnacknowledged} reindexed-at-start={Reindexed} torn-found={TornFound} torn-injected={TornInjected} ") +
        string.Create(CultureInfo.InvariantCulture, $"cut-back={CutBack} checkpoint-refusals={CheckpointRefusals} failures={Failures} log-size={LogSize} seed={seed}");
}

/// <summary>Report lines go to the test output and, when asked, to a file a script can follow.</summary>
internal sealed class SoakReport(string? file)
{
    public void Line(string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        if (!string.IsNullOrEmpty(file))
        {
            File.AppendAllText(file, line + "\n");
        }
    }
}

/// <summary>A tag response as far as it got before the kill.</summary>
internal sealed record TagAnswer(string Tag, HttpStatusCode Status, bool FirstSeen, string? Uuid, string? LogIndex, string? Digest);

/// <summary>What trials do to the data directory besides the kill.</summary>
internal enum Injection
{
    None,
    TornAppend,
    WiderTiles,
    DamagedCheckpoint,
}

/// <summary>
/// The soak routine: one Distribution registry standing in for docker.io, one data
/// directory for every trial, and every acknowledged sighting ever, checked after each trial.
/// </summary>
internal sealed class CrashSoak : IAsyncDisposable
{
    private const string Repository = "library/soak";
    private const string TagAnnotation = "org.tlogistry.test.tag";

    private readonly TempDirectory _work;
    private readonly DistributionRegistry _registry;
    private readonly HttpClient _registryHttp;
    private readonly JsonObject _manifest;
    private readonly int _seed;
    private readonly Random _rng;
    private readonly SoakReport _report;
    private readonly CancellationToken _ct;
    private readonly Dictionary<string, TagAnswer> _acknowledged = new(StringComparer.Ordinal);

    private CrashSoak(TempDirectory work, DistributionRegistry registry, HttpClient registryHttp, JsonObject manifest, int seed, SoakReport report, CancellationToken ct)
    {
        _work = work;
        _registry = registry;
        _registryHttp = registryHttp;
        _manifest = manifest;
        _seed = seed;
        _rng = new Random(seed);
        _report = report;
        _ct = ct;
    }

    public SoakTally Tally { get; } = new();

    private string DataDir => _work.Combine("proxy-data");

    private string LogDir => Path.Combine(DataDir, "log");

    private string[] Upstreams => ["docker.io=" + _registry.BaseUri];

    public static async Task<CrashSoak> StartAsync(int seed, SoakReport report, CancellationToken ct)
    {
        var work = new TempDirectory("tlogistry-soak-");
        var registry = await DistributionRegistry.StartAsync(cancellationToken: ct);
        var http = new HttpClient { BaseAddress = registry.BaseUri, Timeout = TimeSpan.FromSeconds(30) };

        // One config and one layer for every tag; a per-tag annotation gives each its own digest.
        var image = new OciImageBuilder(work.Combine("layout")).AddImage("soak", "crash soak");
        var push = new RegistryPush(http);
        await push.UploadImageBlobsAsync(Repository, image, work.Combine("layout"), ct);

        var manifest = JsonNode.Parse(image.ManifestBytes)!.AsObject();
        return new CrashSoak(work, registry, http, manifest, seed, report, ct);
    }

    /// <summary>One trial; returns why it failed, or null. A failure ends the soak: the data directory is then suspect.</summary>
    public async Task<string?> RunTrialAsync(int trial, int trials)
    {
        var injection = (Injection)(trial % 4);
        var burst = _rng.Next(20, 41);
        var delay = _rng.Next(0, 301);
        var clock = Stopwatch.StartNew();
        var line = new StringBuilder().Append(CultureInfo.InvariantCulture, $"trial {trial + 1}/{trials} {Name(injection)} burst={burst} kill-after={delay}ms");
        Tally.Trials++;
        try
        {
            var tags = Enumerable.Range(0, burst).Select(i => string.Create(CultureInfo.InvariantCulture, $"t{trial:D4}-{i:D2}")).ToList();
            var digests = await PushAsync(tags);

            // Burst and kill.
            TagAnswer[] answers;
            await using (var proxy = await ServeProcess.StartAsync(DataDir, Upstreams, _ct))
            {
                using var http = ProxyClient(proxy);
                using (var warm = await http.GetAsync("/v2/soak/manifests/not-pushed", _ct))
                {
                    Assert.Equal(HttpStatusCode.NotFound, warm.StatusCode);
                }

                var requests = tags.Select(tag => GetTagAsync(http, tag)).ToList();
                await Task.Delay(delay, _ct);
                await proxy.KillAsync();
                Tally.Kills++;
                answers = await Task.WhenAll(requests);
            }

            Tally.Requests += burst;
            var acked = answers.Where(a => a.Status == HttpStatusCode.OK && a.FirstSeen).ToList();
            var odd = answers.Where(a => a.Status != 0 && !(a.Status == HttpStatusCode.OK && a.FirstSeen)).ToList();
            Assert.True(odd.Count == 0, "unexpected answers in the burst: " + string.Join(", ", odd.Select(a => $"{a.Tag}={(int)a.Status}")));
            foreach (var a in acked)
            {
                Assert.Equal(digests[a.Tag], a.Digest);
                _acknowledged.Add(a.Tag, a);
            }

            Assert.Equal(acked.Count, acked.Select(a => a.LogIndex).Distinct().Count());
            Tally.Acknowledged += acked.Count;
            line.Append(CultureInfo.InvariantCulture, $" acked={acked.Count}");

            // What the kill left, and what this trial adds.
            var size = TornWrites.CheckpointSize(LogDir);
            var found = TornWrites.BeyondCheckpoint(LogDir, size);
            Tally.TornFound += found.Count;
            var injected = injection switch
            {
                Injection.TornAppend => TornWrites.TearNextAppend(LogDir, size, _rng),
                Injection.WiderTiles => TornWrites.AddWiderTiles(LogDir, size, _rng),
                _ => [],
            };
            Tally.TornInjected += injected.Count;
            line.Append(CultureInfo.InvariantCulture, $" log={size} torn-found={found.Count} injected={injected.Count}");
            Assert.True(acked.All(a => long.Parse(a.LogIndex!, CultureInfo.InvariantCulture) < size), "an acknowledged entry lies beyond the checkpoint");

            if (injection == Injection.DamagedCheckpoint)
            {
                line.Append(' ').Append(await ExpectRefusalAsync(size));
            }

            // Restart: it must start, cut back, and serve every acknowledged sighting from the same entry.
            await using (var proxy = await ServeProcess.StartAsync(DataDir, Upstreams, _ct))
            {
                var left = TornWrites.BeyondCheckpoint(LogDir, size);
                Assert.True(left.Count == 0, "tiles beyond the checkpoint survived the restart: " + string.Join(", ", left));
                Assert.Equal(size, TornWrites.CheckpointSize(LogDir));
                Tally.CutBack += found.Union(injected).Count();
                Tally.Reindexed += proxy.Reindexed;
                line.Append(CultureInfo.InvariantCulture, $" cut-back={found.Union(injected).Count()} reindexed={proxy.Reindexed}");

                // This trial's acknowledgements, and a sample of earlier ones that lived through more crashes.
                var earlier = _acknowledged.Keys.Except(acked.Select(a => a.Tag)).OrderBy(_ => _rng.Next()).Take(16);
                using var http = ProxyClient(proxy);
                foreach (var a in await GetAllAsync(http, [.. acked.Select(a => a.Tag), .. earlier]))
                {
                    var first = _acknowledged[a.Tag];
                    Assert.True(a.Status == HttpStatusCode.OK && !a.FirstSeen, $"acknowledged {a.Tag} answered {(int)a.Status}, first-seen {a.FirstSeen} after the restart");
                    Assert.Equal((first.Uuid, first.LogIndex, first.Digest), (a.Uuid, a.LogIndex, a.Digest));
                }

                // The rest of the burst: logged before the kill (then reconciled) or seen only now.
                var logged = 0;
                foreach (var a in await GetAllAsync(http, tags.Where(t => !_acknowledged.ContainsKey(t))))
                {
                    Assert.True(a.Status == HttpStatusCode.OK, $"{a.Tag} answered {(int)a.Status} after the restart");
                    Assert.Equal(digests[a.Tag], a.Digest);
                    if (a.FirstSeen)
                    {
                        _acknowledged.Add(a.Tag, a);
                        continue;
                    }

                    Assert.True(long.Parse(a.LogIndex!, CultureInfo.InvariantCulture) < size, $"{a.Tag} was not first seen now, yet its entry {a.LogIndex} is new");
                    logged++;
                }

                Tally.LoggedUnacknowledged += logged;
                line.Append(CultureInfo.InvariantCulture, $" logged-unacked={logged}");
                Assert.Equal(0, await proxy.StopAsync(_ct));
            }

            // Offline: every indexed sighting proves inclusion, index == log, nothing ever acknowledged is missing.
            var audited = LogAudit.VerifyAll(DataDir);
            Tally.LogSize = audited;
            await AssertIndexHoldsEveryAcknowledgedAsync();
            line.Append(CultureInfo.InvariantCulture, $" audited={audited} ok ({clock.Elapsed.TotalSeconds:0.0} s)");
            _report.Line(line.ToString());
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !_ct.IsCancellationRequested)
        {
            Tally.Failures++;
            line.Append(" FAILED: ").Append(e.Message);
            _report.Line(line.ToString());
            return $"trial {trial + 1} failed; replay the schedule with TLOGISTRY_SOAK_SEED={_seed} TLOGISTRY_SOAK_TRIALS={trial + 1}: {e}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        _registryHttp.Dispose();
        await _registry.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _work.Dispose();
    }

    private static string Name(Injection injection) => injection switch
    {
        Injection.TornAppend => "torn-append",
        Injection.WiderTiles => "wider-tiles",
        Injection.DamagedCheckpoint => "damaged-checkpoint",
        _ => "kill-only",
    };

    private static HttpClient ProxyClient(ServeProcess proxy) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, MaxConnectionsPerServer = 64, ConnectTimeout = TimeSpan.FromSeconds(5) })
        {
            BaseAddress = proxy.BaseUri,
            Timeout = TimeSpan.FromSeconds(30),
        };

    private Task<TagAnswer> GetTagAsync(HttpClient http, string tag) =>
        GetTagAsync(http, new Uri($"/v2/soak/manifests/{tag}", UriKind.Relative), tag, _ct);

    /// <summary>
    /// GET by tag. A response counts as acknowledged once its headers arrive: tlogistry sends
    /// them only after the sighting is durable, so a kill during the body does not undo it.
    /// Status 0: no answer (killed).
    /// </summary>
    internal static async Task<TagAnswer> GetTagAsync(HttpClient http, Uri url, string tag, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd(OciImageBuilder.ManifestMediaType);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return new TagAnswer(tag, 0, false, null, null, null);
        }

        using (response)
        {
            string? H(string name) => response.Headers.TryGetValues(name, out var v) ? v.Single() : null;
            var answer = new TagAnswer(tag, response.StatusCode, H("Tlog-First-Seen") == "true", H("Tlog-Uuid"), H("Tlog-Logindex"), H("Docker-Content-Digest"));
            try
            {
                await response.Content.ReadAsByteArrayAsync(ct);
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                // Killed mid-body: the headers already acknowledged the sighting.
            }

            return answer;
        }
    }

    private async Task<List<TagAnswer>> GetAllAsync(HttpClient http, IEnumerable<string> tags)
    {
        var answers = new List<TagAnswer>();
        foreach (var chunk in tags.Chunk(8))
        {
            answers.AddRange(await Task.WhenAll(chunk.Select(t => GetTagAsync(http, t))));
        }

        return answers;
    }

    private async Task<Dictionary<string, string>> PushAsync(IReadOnlyList<string> tags)
    {
        var push = new RegistryPush(_registryHttp);
        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var chunk in tags.Chunk(8))
        {
            var pushed = await Task.WhenAll(chunk.Select(async tag =>
            {
                var manifest = _manifest.DeepClone().AsObject();
                manifest["annotations"] = new JsonObject { [TagAnnotation] = tag };
                var bytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());
                return (tag, await push.PutManifestAsync(Repository, tag, bytes, OciImageBuilder.ManifestMediaType, _ct));
            }));
            foreach (var (tag, digest) in pushed)
            {
                digests[tag] = digest;
            }
        }

        return digests;
    }

    /// <summary>A damaged checkpoint must stop the start with a reason naming it; then the copy is put back.</summary>
    private async Task<string> ExpectRefusalAsync(long size)
    {
        var path = Path.Combine(LogDir, "checkpoint");
        var copy = await File.ReadAllBytesAsync(path, _ct);
        var damage = TornWrites.DamageCheckpoint(LogDir, size, _rng);
        var (exitCode, stderr) = await ServeProcess.RunRefusedAsync(DataDir, Upstreams, _ct);
        await File.WriteAllBytesAsync(path, copy, _ct);
        Assert.True(exitCode == 1 && stderr.Contains("checkpoint", StringComparison.Ordinal), $"checkpoint {damage}: exit {exitCode}, stderr: {stderr}");
        Tally.CheckpointRefusals++;
        return $"checkpoint {damage}: refused \"{stderr.Trim().Split('\n')[0]}\"";
    }

    private async Task AssertIndexHoldsEveryAcknowledgedAsync()
    {
        var index = new SqliteSightingIndex(Path.Combine(DataDir, "index.db"));
        foreach (var a in _acknowledged.Values)
        {
            var s = await index.FindAsync(Typed.Tag("index.docker.io/library/soak:" + a.Tag), _ct);
            Assert.True(s is not null, $"acknowledged {a.Tag} is missing from the index");
            Assert.Equal((a.Uuid, a.LogIndex, a.Digest), (s.Uuid, s.LogIndex.ToString(CultureInfo.InvariantCulture), s.Digest.ToString()));
        }

        SqliteConnection.ClearAllPools();
    }
}
