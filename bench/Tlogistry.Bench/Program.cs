using System.Globalization;

namespace Tlogistry.Bench;

/// <summary>
/// tlogistry beside the registry behind it and beside the peer a user would pick instead
/// (CNCF Distribution in proxy mode), in one run on one machine, under identical load for
/// each path. Prints a Markdown table with ratios and marks each target PASS or FAIL;
/// exits non-zero only when something answered wrongly, never because of a time.
/// </summary>
internal static class Program
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task<int> Main(string[] args)
    {
        if (Growth.GrowthCommand.Handles(args)) return await Growth.GrowthCommand.RunAsync(args);
        BenchOptions o;
        try
        {
            o = BenchOptions.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(BenchOptions.Usage);
            return 2;
        }

        var work = Directory.CreateTempSubdirectory("tlogistry-bench-");
        try
        {
            return await new Run(o, work.FullName).ExecuteAsync();
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp directory left behind is harmless.
            }
        }
    }

    private sealed class Run(BenchOptions o, string work)
    {
        private readonly Report _report = new();
        private readonly string _dataDir = Path.Combine(work, "tlogistry", "data");
        private Server _direct = null!;
        private Server _peer = null!;
        private Server _tlog = null!;
        private Server? _relay;
        private bool _wrongAnswers;

        private Server[] Servers => [_direct, _peer, _tlog];

        public async Task<int> ExecuteAsync()
        {
            var machine = Report.Machine();
            Progress($"machine: {machine}");
            await using var direct = _direct = await Server.StartDistributionAsync("upstream", work, remote: null);
            Progress($"upstream: Distribution at {_direct.BaseUri} (pid {_direct.Pid})");

            Blob layer, huge;
            string v1Digest;
            using (var http = Pulls.Client())
            {
                var config = await Seed.BlobAsync(http, _direct.BaseUri, 4 * 1024);
                layer = await Seed.BlobAsync(http, _direct.BaseUri, 64L << 20);
                huge = o.Runs("rss") ? await Seed.BlobAsync(http, _direct.BaseUri, (long)o.HugeMiB << 20) : layer;
                v1Digest = await Seed.ManifestAsync(http, _direct.BaseUri, "v1", config, layer, "v1");
                for (var i = 0; i < o.Cold; i++)
                {
                    await Seed.ManifestAsync(http, _direct.BaseUri, $"cold-{i}", config, layer, $"cold-{i}");
                }

                await Seed.ManifestAsync(http, _direct.BaseUri, "burst", config, layer, "burst");
            }

            Progress($"pushed {Seed.Repository}: v1, {o.Cold} cold tags, burst; blobs of 64 MiB and {o.HugeMiB} MiB");

            await using var peer = _peer = await Server.StartDistributionAsync("distribution-proxy", work, _direct.BaseUri);
            Progress($"peer: Distribution proxy at {_peer.BaseUri} (pid {_peer.Pid}), remoteurl {_direct.BaseUri}");
            Directory.CreateDirectory(Path.GetDirectoryName(_dataDir)!);
            var extra = (Environment.GetEnvironmentVariable("BENCH_TLOGISTRY_ARGS") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            await using var tlog = _tlog = await Server.StartTlogistryAsync(o.ProxyDll, _dataDir, _direct.BaseUri, extra);
            Progress($"tlogistry at {_tlog.BaseUri} (pid {_tlog.Pid}), data {_dataDir}{(extra.Length > 0 ? ", extra args: " + string.Join(' ', extra) : "")}");

            await using var relay = _relay = o.Relay && o.Runs("blob") ? await Server.StartRelayAsync(_direct.BaseUri) : null;
            if (_relay is not null)
            {
                Progress($"relay: socat at {_relay.BaseUri} (pid {_relay.Pid}) to {_direct.BaseUri}, for the blob paths");
            }

            // The first pull pins v1 in tlogistry and fills the peer's cache: what follows is warm.
            using (var http = Pulls.Client())
            {
                foreach (var s in Servers)
                {
                    var first = await Pulls.ManifestAsync(http, s.BaseUri, "v1");
                    Check(first.Status == 200 && first.Digest == v1Digest, $"{s.Name}: first pull of v1 answered {first.Status} {first.Digest}");
                }
            }

            var manifestTag = $"/v2/{Seed.Repository}/manifests/v1";
            if (o.StartupWarmup > 0)
            {
                // Code that compiles just in time (tlogistry) gets to its steady state before
                // anything is timed; every server gets the same load.
                Progress($"start-up warm-up: {o.StartupWarmup} s of GET by tag on each server");
                var warm = new WrkLoad(work, "get", Pulls.ManifestAccept, o.Threads, o.Connections);
                foreach (var s in Servers)
                {
                    await warm.RunAsync(new Uri(s.BaseUri, manifestTag), o.StartupWarmup);
                }
            }

            if (o.Runs("tag"))
            {
                await PathAsync("warm GET manifest by tag", manifestTag, new WrkLoad(work, "get", Pulls.ManifestAccept, o.Threads, o.Connections), blob: false,
                    "≥ 0.8x direct, ≥ 3x Distribution proxy", (d, p) => d >= 0.8 && p >= 3.0);
            }

            if (o.Runs("head"))
            {
                await PathAsync("warm HEAD manifest by tag", manifestTag, new RawLoad("HEAD", Pulls.ManifestAccept, o.Connections), blob: false, "", null);
            }

            if (o.Runs("digest"))
            {
                await PathAsync("GET manifest by digest", $"/v2/{Seed.Repository}/manifests/{v1Digest}", new WrkLoad(work, "get", Pulls.ManifestAccept, o.Threads, o.Connections), blob: false, "", null);
            }

            foreach (var c in o.Runs("blob") ? o.BlobConnections : [])
            {
                await PathAsync("64 MiB blob", $"/v2/{Seed.Repository}/blobs/{layer.Digest}", new WrkLoad(work, "blob", null, o.Threads, c), blob: true,
                    "≥ 0.9x direct", (d, _) => d >= 0.9);
            }

            if (o.Runs("cold"))
            {
                await ColdAsync();
            }

            if (o.Runs("burst"))
            {
                await BurstAsync();
            }

            if (o.Runs("rss"))
            {
                await RssAsync(huge);
            }

            var settings = string.Create(Inv,
                $"each timed run {o.Duration} s, {o.Rounds} rounds with the servers taking turns (medians reported; a ratio is the median of the per-round ratios), "
                + $"{o.StartupWarmup} s start-up warm-up and {o.Warmup} s warm-up per server and path; "
                + $"{o.Cold} cold tags; burst of {o.Burst}; {o.HugeMiB} MiB blob for RSS. Latencies in ms; MB = 10^6 bytes.");
            Console.WriteLine();
            Console.WriteLine(_report.Render(machine, settings));
            return _wrongAnswers ? 1 : 0;
        }

        /// <summary>
        /// One path under one load: a warm-up on each server, then rounds in which the three
        /// take turns (the first of a round rotates), so drift on the machine hits all alike.
        /// </summary>
        private async Task PathAsync(string path, string relative, ILoad load, bool blob, string target, Func<double, double, bool>? pass)
        {
            // A blob also goes through the plain relay, when there is one, as a reference.
            Server[] turns = blob && _relay is not null ? [.. Servers, _relay] : Servers;
            Progress($"{path}, {load.Describe}: warming up");
            foreach (var s in turns)
            {
                if (o.Warmup > 0)
                {
                    await load.RunAsync(new Uri(s.BaseUri, relative), o.Warmup);
                }
            }

            var runs = turns.ToDictionary(s => s, _ => new List<LoadResult>());
            var cpu = turns.ToDictionary(s => s, _ => new double[3]);
            for (var round = 0; round < o.Rounds; round++)
            {
                for (var k = 0; k < turns.Length; k++)
                {
                    var s = turns[(round + k) % turns.Length];
                    var before = Servers.Select(x => x.CpuSeconds()).ToArray();
                    var r = await load.RunAsync(new Uri(s.BaseUri, relative), o.Duration);
                    var after = Servers.Select(x => x.CpuSeconds()).ToArray();
                    for (var i = 0; i < 3; i++)
                    {
                        cpu[s][i] += after[i] - before[i];
                    }

                    Check(r.Errors == 0 && r.Requests > 0, $"{path} via {s.Name}: {r.Errors} errors in {r.Requests} requests");
                    runs[s].Add(r);
                }
            }

            double Rate(LoadResult r) => blob ? r.MiBPerSecond : r.RequestsPerSecond;
            double Median(IEnumerable<double> xs)
            {
                var a = xs.Order().ToArray();
                return a.Length % 2 == 1 ? a[a.Length / 2] : (a[(a.Length / 2) - 1] + a[a.Length / 2]) / 2;
            }

            var rate = Servers.ToDictionary(s => s, s => Median(runs[s].Select(Rate)));
            string Cell(Server s) => string.Create(Inv,
                $"{Rate0(rate[s])} {(blob ? "MiB/s" : "req/s")} · p50 {Ms(Median(runs[s].Select(r => r.P50Ms)))} · p99 {Ms(Median(runs[s].Select(r => r.P99Ms)))}");

            // A ratio is the median of per-round ratios: each pairs runs made seconds apart,
            // which holds up better than a ratio of medians when other work comes and goes.
            var vsDirect = Median(runs[_tlog].Zip(runs[_direct], (t, d) => Rate(t) / Rate(d)));
            var vsPeer = Median(runs[_tlog].Zip(runs[_peer], (t, p) => Rate(t) / Rate(p)));
            _report.Add(new Row(path, load.Describe, Cell(_direct), Cell(_peer), Cell(_tlog), $"{vsDirect:0.00}x", $"{vsPeer:0.00}x", target, pass?.Invoke(vsDirect, vsPeer)));
            var perRound = string.Join(", ", runs[_tlog].Zip(runs[_direct], (t, d) => (Rate(t) / Rate(d)).ToString("0.00", Inv)));

            // Server CPU per request (or per GiB) during each server's own runs: where the time goes.
            var unit = blob ? "s/GiB" : "µs/req";
            string Per(Server measured, Server spender)
            {
                var work = runs[measured].Sum(r => blob ? r.Bytes / (double)(1L << 30) : r.Requests);
                var c = cpu[measured][Array.IndexOf(Servers, spender)] / work;
                return (blob ? c : c * 1e6).ToString(blob ? "0.00" : "0", Inv);
            }

            var relay = "";
            if (_relay is not null && runs.TryGetValue(_relay, out var relayRuns))
            {
                var relayVsDirect = Median(relayRuns.Zip(runs[_direct], (r, d) => Rate(r) / Rate(d)));
                relay = string.Create(Inv, $"; socat relay (a plain user-space TCP relay, for reference) {Rate0(Median(relayRuns.Select(Rate)))} MiB/s, {relayVsDirect:0.00}x direct");
            }

            _report.Note($"{path} ({load.Describe}): tlogistry/direct per round {perRound}; server CPU {unit}: direct run upstream {Per(_direct, _direct)}; "
                + $"Distribution proxy run proxy {Per(_peer, _peer)} + upstream {Per(_peer, _direct)}; tlogistry run tlogistry {Per(_tlog, _tlog)} + upstream {Per(_tlog, _direct)}" + relay);
            Progress($"{path}, {load.Describe}: direct {Rate0(rate[_direct])}, Distribution proxy {Rate0(rate[_peer])}, tlogistry {Rate0(rate[_tlog])}; "
                + $"tlogistry/direct {vsDirect:0.00} (rounds {perRound}), tlogistry/peer {vsPeer:0.00}");
        }

        /// <summary>
        /// New tags one at a time, each never seen by either proxy, interleaved across the three
        /// servers with a warm pull of v1 after each, so cold and warm see the same machine state.
        /// </summary>
        private async Task ColdAsync()
        {
            Progress($"cold first-seen: {o.Cold} new tags per server, one at a time");
            var clients = Servers.Select(_ => Pulls.Client()).ToArray();
            try
            {
                for (var k = 0; k < 3; k++)
                {
                    await Pulls.ManifestAsync(clients[k], Servers[k].BaseUri, "v1");
                }

                var cold = Servers.Select(_ => new List<double>()).ToArray();
                var warm = Servers.Select(_ => new List<double>()).ToArray();
                for (var i = 0; i < o.Cold; i++)
                {
                    for (var j = 0; j < 3; j++)
                    {
                        var k = (i + j) % 3;
                        var c = await Pulls.ManifestAsync(clients[k], Servers[k].BaseUri, $"cold-{i}");
                        Check(c.Status == 200 && (Servers[k] != _tlog || c.FirstSeen), $"{Servers[k].Name}: cold-{i} answered {c.Status}, first-seen {c.FirstSeen}");
                        cold[k].Add(c.Ms);
                        var w = await Pulls.ManifestAsync(clients[k], Servers[k].BaseUri, "v1");
                        Check(w.Status == 200 && !w.FirstSeen, $"{Servers[k].Name}: warm v1 answered {w.Status}, first-seen {w.FirstSeen}");
                        warm[k].Add(w.Ms);
                    }
                }

                var p = Servers.Select((_, k) => (Cold50: Pct(cold[k], 0.5), Cold99: Pct(cold[k], 0.99), Warm50: Pct(warm[k], 0.5))).ToArray();
                string Cell(int k) => $"p50 {Ms(p[k].Cold50)} · p99 {Ms(p[k].Cold99)} (warm p50 {Ms(p[k].Warm50)})";
                var t = p[2];
                var added = t.Cold50 - t.Warm50;
                _report.Add(new Row("cold first-seen GET by tag (new tag each request)", "1 client, sequential", Cell(0), Cell(1), Cell(2) + $", +{Ms(added)} over warm",
                    $"p50 {t.Cold50 / p[0].Cold50:0.0}x", $"p50 {t.Cold50 / p[1].Cold50:0.0}x", "cold p50 ≤ warm p50 + 10 ms", added <= 10.0));
                Progress($"cold: tlogistry p50 {Ms(t.Cold50)} p99 {Ms(t.Cold99)} vs warm p50 {Ms(t.Warm50)}; Distribution proxy cold p50 {Ms(p[1].Cold50)}");
            }
            finally
            {
                foreach (var c in clients)
                {
                    c.Dispose();
                }
            }
        }

        /// <summary>Many clients pull one new tag at once: tlogistry must log it exactly once and serve everyone the same digest.</summary>
        private async Task BurstAsync()
        {
            Progress($"burst: {o.Burst} concurrent first pulls of one new tag per server");
            var cells = new string[3];
            var p50 = new double[3];
            var sizeBefore = LogSize();
            for (var k = 0; k < 3; k++)
            {
                var (pulls, wall, connections) = await Pulls.BurstAsync(Servers[k].BaseUri, "burst", o.Burst);
                var ms = pulls.Select(x => x.Ms).ToList();
                p50[k] = Pct(ms, 0.5);
                cells[k] = $"p50 {Ms(p50[k])} · p90 {Ms(Pct(ms, 0.9))} · p99 {Ms(Pct(ms, 0.99))} · max {Ms(ms.Max())} (all {Ms(wall)}; {connections} connections)";
                var bad = pulls.Count(x => x.Status != 200);
                Check(bad == 0, $"{Servers[k].Name}: {bad} of {o.Burst} burst pulls failed: {string.Join(", ", pulls.Where(x => x.Status != 200).Select(x => x.Status).Distinct())}");
                if (Servers[k] != _tlog)
                {
                    continue;
                }

                var entries = LogSize() - sizeBefore;
                var digests = pulls.Select(x => x.Digest).Distinct().Count();
                var firstSeen = pulls.Count(x => x.FirstSeen);
                var indexes = pulls.Select(x => x.LogIndex).Distinct().Count();
                var ok = bad == 0 && entries == 1 && digests == 1 && firstSeen == 1 && indexes == 1;
                Check(ok, $"burst through tlogistry: {entries} log entries, {digests} digests, {firstSeen} first-seen answers, {indexes} log indexes");
                cells[k] += $"; {entries} log entry, {digests} digest, {firstSeen} Tlog-First-Seen, {indexes} log index in {o.Burst} answers";
                _report.Add(new Row($"{o.Burst} concurrent first pulls of one new tag", $"{o.Burst} clients, one connection each", cells[0], cells[1], cells[2],
                    $"p50 {p50[2] / p50[0]:0.0}x", $"p50 {p50[2] / p50[1]:0.0}x", "exactly one log entry, one digest for all", ok));
                Progress($"burst via tlogistry: {cells[k]}");
            }
        }

        /// <summary>
        /// Peak RSS of each server while the large blob streams through it (VmHWM reset just
        /// before), read by one client with 1 MiB reads that checks the digest.
        /// </summary>
        private async Task RssAsync(Blob huge)
        {
            Progress($"RSS: streaming the {o.HugeMiB} MiB blob through each server");
            var lifetime = _tlog.StatusKiB("VmHWM");
            var cells = new string[3];
            double tlogPeak = 0;
            using var http = Pulls.Client();
            for (var k = 0; k < 3; k++)
            {
                var s = Servers[k];
                var reset = s.TryResetPeakRss();
                var rate = await Pulls.BlobAsync(http, s.BaseUri, huge);
                var peak = MB(s.StatusKiB("VmHWM"));
                cells[k] = string.Create(Inv, $"peak RSS {peak:0} MB{(reset ? "" : " (since start)")} at {rate:0} MiB/s");
                if (s == _tlog)
                {
                    tlogPeak = peak;
                    cells[k] += string.Create(Inv, $" (largest since start, after the burst: {MB(lifetime):0} MB)");
                }
            }

            _report.Add(new Row($"peak RSS while a {o.HugeMiB} MiB blob streams", "1 client, 1 MiB reads", cells[0], cells[1], cells[2], "", "", "tlogistry < 200 MB", tlogPeak < 200));
            Progress($"RSS: {cells[2]}");
        }

        private long LogSize() => long.Parse(File.ReadAllLines(Path.Combine(_dataDir, "log", "checkpoint"))[1], Inv);

        private void Check(bool ok, string what)
        {
            if (!ok)
            {
                _wrongAnswers = true;
                _report.Note("WRONG ANSWER: " + what);
                Progress("WRONG ANSWER: " + what);
            }
        }

        private static double MB(long kib) => kib * 1024.0 / 1e6;

        private static double Pct(List<double> xs, double q)
        {
            var a = xs.Order().ToArray();
            return a[Math.Min(a.Length - 1, Math.Max(0, (int)Math.Ceiling(q * a.Length) - 1))];
        }

        private static string Ms(double ms) => ms.ToString(ms < 10 ? "0.00" : ms < 100 ? "0.0" : "0", Inv) + " ms";

        private static string Rate0(double x) => x.ToString("#,0", Inv);

        private static void Progress(string line) => Console.Error.WriteLine($"[bench {DateTime.Now:HH:mm:ss}] {line}");
    }
}
