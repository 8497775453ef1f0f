using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tlogistry.Signing;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// Crash safety of first sightings across replicas, as a soak: two <c>tlogistry serve</c>
/// processes share one PostgreSQL store, one <c>tlogistry log serve</c> (Rekor v2 API, which
/// cannot be searched) and one key; both are asked for every tag of a burst of new tags, and
/// one of them is killed with SIGKILL at a random moment, then started again. Afterwards the
/// log holds exactly one entry per tag, every acknowledged sighting is served from the entry it
/// was acknowledged with, both replicas serve the same digest and entry for every tag, and
/// <c>tlogistry audit</c> finds nothing. TLOGISTRY_REPLICA_SOAK_TRIALS sets the number of trials
/// (3 by default; scripts/crash-soak.sh N replicas runs more), TLOGISTRY_SOAK_SEED replays a
/// schedule, TLOGISTRY_SOAK_LOG also appends the report to a file.
/// </summary>
[Trait("Category", "E2E")]
public sealed class ReplicaCrashSoakTests
{
    private const string Repository = "library/rsoak";
    private const string Prefix = "index.docker.io/library/rsoak:";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Kill9OfAReplicaDuringBurstsOfFirstSightingsLeavesOneEntryPerTagAndACleanAudit()
    {
        var trials = int.TryParse(Environment.GetEnvironmentVariable("TLOGISTRY_REPLICA_SOAK_TRIALS"), CultureInfo.InvariantCulture, out var n) ? n : 3;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("TLOGISTRY_SOAK_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        var report = new SoakReport(Environment.GetEnvironmentVariable("TLOGISTRY_SOAK_LOG"));
        report.Line($"replica crash soak: {trials} trials, seed {seed} (replay the schedule with TLOGISTRY_SOAK_SEED={seed})");
        var rng = new Random(seed);

        using var work = new TempDirectory("tlogistry-rsoak-");
        await using var database = await PostgresDatabase.CreateAsync(Ct);
        await using var registry = await DistributionRegistry.StartAsync(cancellationToken: Ct);
        await using var log = await LogServeProcess.StartAsync(work.Combine("log"), Ct);
        using var registryHttp = new HttpClient { BaseAddress = registry.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        var manifest = await PushImageAsync(registryHttp, work.Combine("layout"));

        var dataDirs = new[] { work.Combine("replica-0"), work.Combine("replica-1") };
        InstanceKey.LoadOrCreate(Path.Combine(dataDirs[0], "signing-key.pem")).Dispose();
        Directory.CreateDirectory(dataDirs[1]);
        File.Copy(Path.Combine(dataDirs[0], "signing-key.pem"), Path.Combine(dataDirs[1], "signing-key.pem"));
        string[] upstreams = ["docker.io=" + registry.BaseUri];
        // One client makes every first sighting here: the per-client limit is off.
        string[] flags = ["--store", "postgres=" + database.ConnectionString, "--log", $"rekor-v2={log.BaseUri}", "--trusted-root", log.TrustedRootPath, "--first-sightings-per-minute", "0"];
        Task<ServeProcess> StartAsync(int i) => ServeProcess.StartAsync(dataDirs[i], upstreams, Ct, flags);

        var replicas = await Task.WhenAll(StartAsync(0), StartAsync(1));
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, MaxConnectionsPerServer = 64, ConnectTimeout = TimeSpan.FromSeconds(5) }) { Timeout = TimeSpan.FromSeconds(60) };
        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        var acknowledged = new Dictionary<string, TagAnswer>(StringComparer.Ordinal);
        int kills = 0, requests = 0, acked = 0, resumed = 0, resent = 0;
        try
        {
            for (var t = 0; t < trials; t++)
            {
                var burst = rng.Next(16, 31);
                var delay = rng.Next(0, 401);
                var victim = rng.Next(2);
                var tags = Enumerable.Range(0, burst).Select(i => string.Create(CultureInfo.InvariantCulture, $"r{t:D3}-{i:D2}")).ToList();
                foreach (var (tag, digest) in await PushTagsAsync(registryHttp, manifest, tags))
                {
                    digests[tag] = digest;
                }

                // Every tag asked of both replicas at once, in a shuffled order; one replica dies mid-burst.
                var order = tags.SelectMany(tag => new[] { (Tag: tag, Replica: 0), (Tag: tag, Replica: 1) }).OrderBy(_ => rng.Next()).ToList();
                var pending = order.Select(o => GetTagAsync(http, replicas[o.Replica], o.Tag)).ToList();
                await Task.Delay(delay, Ct);
                await replicas[victim].KillAsync();
                kills++;
                var answers = await Task.WhenAll(pending);
                resent += Resent(replicas[victim].StandardOutput);
                requests += answers.Length;

                var odd = answers.Where(a => a.Status is not (0 or HttpStatusCode.OK)).ToList();
                Assert.True(odd.Count == 0, $"trial {t + 1}: unexpected answers: " + string.Join(", ", odd.Select(a => $"{a.Tag}={(int)a.Status}")));
                foreach (var a in answers.Where(a => a.Status == HttpStatusCode.OK))
                {
                    Assert.Equal(digests[a.Tag], a.Digest);
                    if (a.FirstSeen)
                    {
                        // One first sighting per tag, whichever replica made it.
                        Assert.True(acknowledged.TryAdd(a.Tag, a), $"{a.Tag} was acknowledged as first seen twice");
                        acked++;
                    }
                }

                // The dead replica comes back: its start sends any intent it left without a pin.
                await replicas[victim].DisposeAsync();
                replicas[victim] = await StartAsync(victim);
                resumed += IntentsResumed(replicas[victim].StandardOutput);

                // Both replicas agree on every tag of the burst and on a sample of earlier ones.
                var earlier = acknowledged.Keys.Except(tags).OrderBy(_ => rng.Next()).Take(10);
                foreach (var tag in tags.Concat(earlier))
                {
                    var both = await Task.WhenAll(GetTagAsync(http, replicas[0], tag), GetTagAsync(http, replicas[1], tag));
                    Assert.All(both, a => Assert.Equal((tag, HttpStatusCode.OK, digests[tag]), (a.Tag, a.Status, a.Digest)));
                    Assert.Equal(both[0].LogIndex, both[1].LogIndex);
                    if (acknowledged.TryGetValue(tag, out var first))
                    {
                        Assert.Equal(first.LogIndex, both[0].LogIndex);
                    }
                }

                report.Line(string.Create(CultureInfo.InvariantCulture, $"trial {t + 1}/{trials} burst={burst} kill-after={delay}ms victim=replica-{victim} acked={answers.Count(a => a.FirstSeen)} answered={answers.Count(a => a.Status == HttpStatusCode.OK)}/{answers.Length}"));
            }

            // One entry per tag, one row per tag, every acknowledged sighting stored as acknowledged.
            var entries = await LogSizeAsync(log);
            var rows = await database.ScalarAsync<long>("SELECT count(*) FROM tlogistry_sightings");
            foreach (var (tag, a) in acknowledged)
            {
                var index = await database.ScalarAsync<long>($"SELECT log_index FROM tlogistry_sightings WHERE reference = '{Prefix}{tag}'");
                Assert.Equal(a.LogIndex, index.ToString(CultureInfo.InvariantCulture));
            }

            var (auditExit, findings, explainedByIntent) = await AuditAsync(replicas[0], log);
            resent += replicas.Sum(r => Resent(r.StandardOutput));
            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"replica crash soak tally: trials={trials} kills={kills} requests={requests} acknowledged={acked} intents-resumed-at-start={resumed} intents-sent-again={resent} tags={digests.Count} entries={entries} rows={rows} audit-exit={auditExit} audit-findings={findings} explained-by-intent={explainedByIntent} seed={seed}"));
            Assert.Equal(digests.Count, entries);
            Assert.Equal(digests.Count, rows);
            Assert.Equal((0, 0), (auditExit, findings));
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    /// <summary>How many times a process sent a stored intent again (its warning line).</summary>
    private static int Resent(string output) =>
        output.Split("has an intent but no pin", StringSplitOptions.None).Length - 1;

    /// <summary>The number the start line of resumed intents names, or 0.</summary>
    private static int IntentsResumed(string output)
    {
        var marker = " first sightings left between the log and the store were sent again";
        var at = output.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return 0;
        }

        var start = at;
        while (start > 0 && char.IsAsciiDigit(output[start - 1]))
        {
            start--;
        }

        return int.Parse(output.AsSpan(start, at - start), CultureInfo.InvariantCulture);
    }

    /// <summary><c>tlogistry audit</c> as an operator runs it: the replica's bundles and intents against the log.</summary>
    private static async Task<(int Exit, int Findings, int ExplainedByIntent)> AuditAsync(ServeProcess replica, LogServeProcess log)
    {
        var (exit, output, error) = await CliProcess.RunAsync(null, "audit", "--proxy", replica.BaseUri.ToString(), "--log", $"rekor-v2={log.BaseUri}", "--json");
        Assert.True(exit is 0 or 1, $"audit exited {exit}: {error}");
        var root = JsonDocument.Parse(output).RootElement;
        var findings = root.GetProperty("conflicts").GetArrayLength() + root.GetProperty("unexplained").GetArrayLength() + root.GetProperty("badBundles").GetArrayLength();
        return (exit, findings, root.GetProperty("explainedByIntent").GetArrayLength());
    }

    private static async Task<JsonObject> PushImageAsync(HttpClient http, string layout)
    {
        var push = new RegistryPush(http);
        var image = new OciImageBuilder(layout).AddImage("rsoak", "replica crash soak");
        await push.UploadImageBlobsAsync(Repository, image, layout, Ct);

        return JsonNode.Parse(image.ManifestBytes)!.AsObject();
    }

    /// <summary>Pushes one manifest per tag, made distinct by an annotation; returns tag → digest.</summary>
    private static async Task<List<(string Tag, string Digest)>> PushTagsAsync(HttpClient http, JsonObject manifest, IEnumerable<string> tags)
    {
        var push = new RegistryPush(http);
        var pushed = new List<(string, string)>();
        foreach (var chunk in tags.Chunk(8))
        {
            pushed.AddRange(await Task.WhenAll(chunk.Select(async tag =>
            {
                var m = manifest.DeepClone().AsObject();
                m["annotations"] = new JsonObject { ["org.tlogistry.test.tag"] = tag };
                return (tag, await push.PutManifestAsync(Repository, tag, Encoding.UTF8.GetBytes(m.ToJsonString()), OciImageBuilder.ManifestMediaType, Ct));
            })));
        }

        return pushed;
    }

    private static Task<TagAnswer> GetTagAsync(HttpClient http, ServeProcess replica, string tag) =>
        CrashSoak.GetTagAsync(http, new Uri(replica.BaseUri, $"/v2/rsoak/manifests/{tag}"), tag, Ct);

    private static async Task<long> LogSizeAsync(LogServeProcess log)
    {
        using var client = new HttpClient();
        var note = await client.GetStringAsync(new Uri(log.BaseUri, "/checkpoint"), Ct);
        return long.Parse(note.Split('\n')[1], CultureInfo.InvariantCulture);
    }
}
