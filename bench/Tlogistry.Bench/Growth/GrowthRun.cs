using System.Diagnostics;
using System.Globalization;

namespace Tlogistry.Bench.Growth;

/// <summary>
/// One store's series: the data directory grows from size to size (seeded by
/// <see cref="Seeder"/> in a process of its own), and at each size a fresh tlogistry server
/// process is measured, then <c>tlogistry audit</c> and <c>tlogistry index rebuild</c>.
/// </summary>
internal sealed class GrowthRun(GrowthOptions o, string work, ScriptedUpstream upstream, ThrowawayPostgres? postgres)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const string Database = "tlogistry_growth";
    private const string EatMyData = "/usr/bin/eatmydata";

    // Fresh tags differ from run to run, so data kept with --work still has tags never seen.
    private static readonly string Run = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(Inv) + "-";

    public List<string> Wrong { get; } = [];

    public async Task<List<GrowthRow>> StoreAsync(string kind)
    {
        var dataDir = Path.Combine(work, kind, "data");
        if (kind == "postgres" && Directory.Exists(dataDir))
        {
            // The PostgreSQL cluster is new on every run: its data directory cannot be kept.
            Directory.Delete(dataDir, recursive: true);
        }

        Directory.CreateDirectory(dataDir);
        var store = kind == "postgres" ? await postgres!.CreateStoreAsync(Database) : null;
        if (store is not null)
        {
            // A shared store never makes the instance key itself: the operator provides it, as here.
            Signing.InstanceKey.LoadOrCreate(Path.Combine(dataDir, Host.SignerSetup.KeyFile)).Dispose();
        }

        var rows = new List<GrowthRow>();
        var marker = Path.Combine(dataDir, "growth-seeded");
        var seeded = File.Exists(marker) ? long.Parse(File.ReadAllText(marker), Inv) : 0;
        foreach (var size in o.Sizes)
        {
            var (seedRate, seedCpu) = (0.0, 0.0);
            if (size > seeded)
            {
                Progress($"{kind}: seeding sightings {seeded:#,0} to {size:#,0}");
                (seedRate, seedCpu) = await SeedAsync(dataDir, store, seeded, size);
                seeded = size;
                File.WriteAllText(marker, seeded.ToString(Inv));
            }

            Progress($"{kind}: seeded {size:#,0} at {seedRate:#,0}/s, {seedCpu:0.00} ms CPU each; starting tlogistry");

            GrowthRow row;
            await using (var server = await ServerProcess.StartAsync(o.ProxyDll, dataDir, store, upstream.BaseUri, Path.Combine(work, kind, "tlogistry-output.log")))
            {
                Progress($"{kind} at {size:#,0}: ready in {server.StartupMs:#,0} ms (pid {server.Pid}); {o.WarmUp} warm-up GETs, then {o.Warm} timed, {o.Connections} clients, random seeded tags");
                var spread = size;
                Func<int, (string, string)> seededTag = i => GrowthTags.Seeded(Spread(i, spread));
                Check(await GrowthLoad.PullAsync(server.BaseUri, o.WarmUp, o.Connections, i => GrowthTags.Seeded(Spread(i + o.Warm, spread)), firstSeen: false), "warm-up");
                // RSS sampled every 250 ms through the timed GETs, the median reported: one sample
                // lands anywhere in the collector's cycle, tens of MB apart.
                using var sampling = new CancellationTokenSource();
                var samples = SampleRssAsync(server, sampling.Token);
                var warm = Check(await GrowthLoad.PullAsync(server.BaseUri, o.Warm, o.Connections, seededTag, firstSeen: false), "warm GET");
                await sampling.CancelAsync();
                var rss = Median(await samples) * 1024.0 / 1e6;
                Progress($"{kind} at {size:#,0}: warm p50 {warm.P50:0.00} ms p99 {warm.P99:0.00} ms, RSS {rss:0} MB; {o.Cold} cold first sightings, one at a time");
                var cold = Check(await GrowthLoad.PullAsync(server.BaseUri, o.Cold, 1, i => GrowthTags.Fresh("c" + Run, size, i), firstSeen: true), "cold GET");
                Progress($"{kind} at {size:#,0}: cold p50 {cold.P50:0.00} ms p99 {cold.P99:0.00} ms; {o.First} first sightings from {o.Clients} clients");
                var first = Check(await GrowthLoad.PullAsync(server.BaseUri, o.First, o.Clients, i => GrowthTags.Fresh("f" + Run, size, i), firstSeen: true), "first sightings");
                var bundles = Check(await GrowthLoad.GetAsync(server.BaseUri, "/tlog/bundles?image=" + GrowthTags.Repository(0), o.Listings), "bundles listing");
                var intents = Check(await GrowthLoad.GetAsync(server.BaseUri, "/tlog/intents", o.Listings), "intents listing");
                Progress($"{kind} at {size:#,0}: {first.PerSecond:#,0} first sightings/s; listings p50 {bundles.P50:0.00} / {intents.P50:0.00} ms");
                var audit = (Code: 0, Seconds: 0.0, Output: "");
                if (o.Audit)
                {
                    Progress($"{kind} at {size:#,0}: tlogistry audit");
                    audit = await ServerProcess.RunCommandAsync(o.ProxyDll, ["audit", "--proxy", server.BaseUri.AbsoluteUri, "--data-dir", dataDir, "--progress-every", "1000000000"]);
                    CheckCommand(audit, "audit");
                }

                row = new GrowthRow(size, 0, seedRate, seedCpu, server.StartupMs, rss, warm.P50, warm.P99, cold.P50, cold.P99, first.PerSecond, bundles.P50, intents.P50, audit.Seconds, 0, 0);
            }

            var entries = LogSize(dataDir);
            var bytes = DirectoryBytes(dataDir) + (postgres is not null && store is not null ? await postgres.DatabaseBytesAsync(Database) : 0);
            Progress($"{kind} at {size:#,0}: {entries:#,0} entries, {bytes / 1e6:0.0} MB; tlogistry index rebuild");
            List<string> rebuildArgs = ["index", "rebuild", "--data-dir", dataDir];
            if (store is not null)
            {
                rebuildArgs.AddRange(["--store", store]);
            }

            var rebuild = o.Audit ? await ServerProcess.RunCommandAsync(o.ProxyDll, rebuildArgs) : (Code: 0, Seconds: 0.0, Output: "");
            CheckCommand(rebuild, "index rebuild");
            rows.Add(row with { Entries = entries, RebuildSeconds = rebuild.Seconds, BytesPerSighting = bytes / (double)entries });
            Progress($"{kind} at {size:#,0}: audit {row.AuditSeconds:0.0} s, rebuild {rebuild.Seconds:0.0} s");
        }

        return rows;
    }

    private static async Task<List<long>> SampleRssAsync(ServerProcess server, CancellationToken ct)
    {
        var samples = new List<long>();
        try
        {
            while (true)
            {
                samples.Add(server.RssKiB());
                await Task.Delay(250, ct);
            }
        }
        catch (OperationCanceledException)
        {
            samples.Add(server.RssKiB());
            return samples;
        }
    }

    private static double Median(List<long> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2.0;
    }

    /// <summary>Request <paramref name="i"/>'s seeded tag: a fixed pseudo-random spread over all <paramref name="size"/> of them.</summary>
    private static long Spread(long i, long size) => (long)(((ulong)i + 1) * 11400714819323198485UL % (ulong)size);

    /// <summary>
    /// Runs the seeder; under eatmydata when it is installed, so the seeder's fsyncs return at
    /// once: the files it leaves are the same, only not forced to disk while it writes (the
    /// server measured afterwards makes its own fsyncs). PostgreSQL's commits stay durable.
    /// </summary>
    private async Task<(double PerSecond, double CpuMs)> SeedAsync(string dataDir, string? store, long from, long to)
    {
        var fast = File.Exists(EatMyData);
        var psi = new ProcessStartInfo(fast ? EatMyData : "dotnet") { RedirectStandardOutput = true };
        List<string> args =
        [
            .. fast ? (string[])["dotnet"] : [],
            typeof(GrowthRun).Assembly.Location, GrowthCommand.SeedCommand, "--data-dir", dataDir,
            "--from", from.ToString(Inv), "--to", to.ToString(Inv), "--concurrency", SeedConcurrency(store).ToString(Inv),
        ];
        if (store is not null)
        {
            args.AddRange(["--store", store]);
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start the seeder");
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("SEEDED ", StringComparison.Ordinal));
        var f = line?.Split(' ');
        return p.ExitCode == 0 && f is { Length: 3 }
            ? (double.Parse(f[1], Inv), double.Parse(f[2], Inv))
            : throw new InvalidOperationException($"the seeder exited with {p.ExitCode}:\n{output}");
    }

    /// <summary>
    /// With PostgreSQL each first sighting in flight holds a pooled connection for its tag lock
    /// and takes another for its writes: more than half of Npgsql's default pool of 100 in
    /// flight waits out the pool's timeout. The seeder stays under that.
    /// </summary>
    private int SeedConcurrency(string? store) => store is null ? o.SeedConcurrency : Math.Min(o.SeedConcurrency, 40);

    private Timings Check(Timings t, string what)
    {
        if (t.Wrong > 0)
        {
            Wrong.Add($"{what}: {t.Wrong} of {t.Ms.Length} answered wrongly, e.g. {t.FirstWrong}");
            Progress("WRONG ANSWER: " + Wrong[^1]);
        }

        return t;
    }

    private void CheckCommand((int Code, double Seconds, string Output) run, string what)
    {
        if (run.Code != 0)
        {
            var tail = string.Join('\n', run.Output.Split('\n').TakeLast(15));
            Wrong.Add($"tlogistry {what} exited with {run.Code}: {tail}");
            Progress("WRONG ANSWER: " + Wrong[^1]);
        }
    }

    private static long LogSize(string dataDir) => long.Parse(File.ReadAllLines(Path.Combine(dataDir, "log", "checkpoint"))[1], Inv);

    private static long DirectoryBytes(string dir) =>
        new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    public static void Progress(string line) => Console.Error.WriteLine(string.Create(Inv, $"[growth {DateTime.Now:HH:mm:ss}] {line}"));
}
