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
        private Server? _held;
        private Server? _haproxy;
        private Server? _socat;
        private bool _wrongAnswers;

        private Server[] Servers => [_direct, _peer, _tlog];

        /// <summary>Every server that answers registry requests itself (not the relays).</summary>
        private Server[] Registries => _held is null ? Servers : [.. Servers, _held];

        private Server[] Relays => new[] { _haproxy, _socat }.OfType<Server>().ToArray();

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

            Progress($"pushed {Seed.Repository}: v1, {o.Cold} cold tags, burst; blobs of 64 MiB{(o.Runs("rss") ? $" and {o.HugeMiB} MiB" : "")}");

            await using var peer = _peer = await Server.StartDistributionAsync("distribution-proxy", work, _direct.BaseUri);
            Progress($"peer: Distribution proxy at {_peer.BaseUri} (pid {_peer.Pid}), remoteurl {_direct.BaseUri}");
            Directory.CreateDirectory(Path.GetDirectoryName(_dataDir)!);
            var extra = (Environment.GetEnvironmentVariable("BENCH_TLOGISTRY_ARGS") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            await using var tlog = _tlog = await Server.StartTlogistryAsync("tlogistry", o.ProxyDll, _dataDir, _direct.BaseUri, extra);
            Progress($"tlogistry at {_tlog.BaseUri} (pid {_tlog.Pid}), data {_dataDir}{(extra.Length > 0 ? ", extra args: " + string.Join(' ', extra) : "")}");

            var holds = o.Runs("tag") && o.RevalidateAfter is not ("0" or "");
            var heldDir = Path.Combine(work, "tlogistry-held", "data");
            Directory.CreateDirectory(Path.GetDirectoryName(heldDir)!);
            await using var held = _held = holds
                ? await Server.StartTlogistryAsync("tlogistry-held", o.ProxyDll, heldDir, _direct.BaseUri, [.. extra, "--revalidate-after", o.RevalidateAfter])
                : null;
            if (_held is not null)
            {
                Progress($"tlogistry --revalidate-after {o.RevalidateAfter} at {_held.BaseUri} (pid {_held.Pid})");
            }

            var relays = o.Relay && o.Runs("blob");
            await using var haproxy = _haproxy = relays ? await Server.StartHaproxyAsync(_direct.BaseUri, work, o.HaproxyMode) : null;
            await using var socat = _socat = relays ? await Server.StartRelayAsync(_direct.BaseUri) : null;
            foreach (var r in Relays)
            {
                Progress($"relay: {r.Name} at {r.BaseUri} (pid {r.Pid}) to {_direct.BaseUri}, for the blob paths");
            }

            // The first pull pins v1 in tlogistry and fills the peer's cache: what follows is warm.
            using (var http = Pulls.Client())
            {
                foreach (var s in Registries)
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
                foreach (var s in Registries)
                {
                    await warm.RunAsync(new Uri(s.BaseUri, manifestTag), o.StartupWarmup);
                }

                foreach (var s in Registries)
                {
                    await SettleAsync(s, warm, new Uri(s.BaseUri, manifestTag));
                }
            }

            if (o.Runs("tag"))
            {
                foreach (var c in o.TagConnections)
                {
                    await TagAsync(manifestTag, new WrkLoad(work, "get", Pulls.ManifestAccept, o.Threads, c));
                }
            }

            if (o.Runs("head"))
            {
                await PathAsync("warm HEAD manifest by tag", manifestTag, new RawLoad("HEAD", Pulls.ManifestAccept, o.Connections));
            }

            if (o.Runs("digest"))
            {
                await PathAsync("GET manifest by digest", $"/v2/{Seed.Repository}/manifests/{v1Digest}", new WrkLoad(work, "get", Pulls.ManifestAccept, o.Threads, o.Connections));
            }

            if (o.Runs("blob"))
            {
                await BlobAsync($"/v2/{Seed.Repository}/blobs/{layer.Digest}", work);
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
                + $"{o.StartupWarmup} s start-up warm-up and {o.Warmup} s warm-up per server and path, then more for tlogistry until its tier-1 recompilation settled; "
                + $"warm GET by tag measured {o.TagRuns} times (each a full set of rounds) at {string.Join(" and ", o.TagConnections)} connections; "
                + $"{o.Cold} cold tags; burst of {o.Burst}; {o.HugeMiB} MiB blob for RSS. Latencies in ms; MB = 10^6 bytes.");
            Console.WriteLine();
            Console.WriteLine(_report.Render(machine, settings));
            return _wrongAnswers ? 1 : 0;
        }

        /// <summary>
        /// One path under one load on <paramref name="turns"/>: a warm-up on each server (unless
        /// <paramref name="warmUp"/> is false), then rounds in which the servers take turns (the
        /// first of a round rotates), so drift on the machine hits all alike.
        /// </summary>
        private async Task<Measurement> MeasureAsync(string path, string relative, ILoad load, Server[] turns, bool blob, bool warmUp = true)
        {
            if (warmUp && o.Warmup > 0)
            {
                Progress($"{path}, {load.Describe}: warming up");
                foreach (var s in turns)
                {
                    await load.RunAsync(new Uri(s.BaseUri, relative), o.Warmup);
                    await SettleAsync(s, load, new Uri(s.BaseUri, relative));
                }
            }

            var m = new Measurement(turns, blob);
            for (var round = 0; round < o.Rounds; round++)
            {
                for (var k = 0; k < turns.Length; k++)
                {
                    var s = turns[(round + k) % turns.Length];
                    var before = (Own: s.CpuSeconds(), Upstream: _direct.CpuSeconds());
                    var r = await load.RunAsync(new Uri(s.BaseUri, relative), o.Duration);
                    var after = (Own: s.CpuSeconds(), Upstream: _direct.CpuSeconds());
                    m.Add(s, r, after.Own - before.Own, s == _direct ? 0 : after.Upstream - before.Upstream);
                    Check(r.Errors == 0 && r.Requests > 0, $"{path} via {s.Name}: {r.Errors} errors in {r.Requests} requests");
                }
            }

            return m;
        }

        /// <summary>
        /// On a busy machine the .NET runtime's background recompilation of hot code (tier 1)
        /// can run on well past a fixed warm-up and into the timed rounds, where it is charged to
        /// the proxy. For a .NET server, load goes on a second at a time until a second of it
        /// costs that thread next to nothing: the steady state a long-running server is in.
        /// </summary>
        private static async Task SettleAsync(Server s, ILoad load, Uri url)
        {
            if (s.JitThreadCpu().Count == 0 && !s.Name.StartsWith("tlogistry", StringComparison.Ordinal))
            {
                return;
            }

            var seconds = 0;
            double spent = 0, last;
            do
            {
                var before = s.JitThreadCpu();
                await load.RunAsync(url, 1);
                last = s.JitThreadCpu().Sum(t => t.Value - before.GetValueOrDefault(t.Key));
                spent += last;
                seconds++;
            }
            while (last > 0.02 && seconds < 60);
            Progress(string.Create(Inv, $"{s.Name}: {seconds} s more warm-up until tiered compilation settled ({spent:0.00} s of its CPU in them, {last:0.00} s in the last)"));
        }

        /// <summary>A manifest path on the three servers: one row of the main table.</summary>
        private async Task PathAsync(string path, string relative, ILoad load)
        {
            var m = await MeasureAsync(path, relative, load, Servers, blob: false);
            var vsDirect = m.Ratio(_tlog, _direct);
            var vsPeer = m.Ratio(_tlog, _peer);
            _report.Add(new Row(path, load.Describe, m.Cell(_direct), m.Cell(_peer), m.Cell(_tlog), $"{vsDirect:0.00}x", $"{vsPeer:0.00}x", "", null));
            _report.Note($"{path} ({load.Describe}): tlogistry/direct per round {m.PerRound(_tlog, _direct)}; server CPU µs/req: {CpuNotes(m)}");
            Progress($"{path}, {load.Describe}: direct {Rate0(m.Median(_direct))}, Distribution proxy {Rate0(m.Median(_peer))}, tlogistry {Rate0(m.Median(_tlog))}; "
                + $"tlogistry/direct {vsDirect:0.00} (rounds {m.PerRound(_tlog, _direct)}), tlogistry/peer {vsPeer:0.00}");
        }

        /// <summary>
        /// Warm GET by tag at one connection count, measured <c>TagRuns</c> times over: the
        /// target (0.8x direct) must hold in every run, not in a lucky one. The tlogistry that
        /// holds confirmed tags (--revalidate-after) takes its turns in the same rounds.
        /// </summary>
        private async Task TagAsync(string relative, WrkLoad load)
        {
            var path = "warm GET manifest by tag";
            Server[] turns = _held is null ? Servers : [.. Servers, _held];
            var runs = new List<Measurement>();
            for (var run = 0; run < o.TagRuns; run++)
            {
                var m = await MeasureAsync(path, relative, load, turns, blob: false, warmUp: run == 0);
                runs.Add(m);
                Progress(string.Create(Inv, $"{path}, {load.Describe}, run {run + 1}/{o.TagRuns}: direct {Rate0(m.Median(_direct))}, Distribution proxy {Rate0(m.Median(_peer))}, tlogistry {Rate0(m.Median(_tlog))}")
                    + (_held is null ? "" : $", held {Rate0(m.Median(_held))}")
                    + string.Create(Inv, $"; tlogistry/direct {m.Ratio(_tlog, _direct):0.00} (rounds {m.PerRound(_tlog, _direct)})")
                    + (_held is null ? "" : string.Create(Inv, $", held/direct {m.Ratio(_held, _direct):0.00}, held/peer {m.Ratio(_held, _peer):0.00}")));
                // Where CPU is what runs out, throughput goes as the inverse of server CPU per request.
                _report.Note($"{path} ({load.Describe}) run {run + 1}: tlogistry/direct per round {m.PerRound(_tlog, _direct)}; server CPU µs/req: {CpuNotes(m)}; "
                    + string.Create(Inv, $"direct's CPU per request over tlogistry's with its upstream's {m.CpuCost(_direct) / m.CpuCost(_tlog):0.00}"));
            }

            var vsDirect = runs.Select(m => m.Ratio(_tlog, _direct)).ToArray();
            var vsPeer = runs.Select(m => m.Ratio(_tlog, _peer)).ToArray();
            var met = vsDirect.Count(r => r >= 0.8);
            string Runs(IEnumerable<double> xs) => string.Join(", ", xs.Select(x => x.ToString("0.00", Inv) + "x"));
            string Cell(Server s) => string.Join(" / ", runs.Select(m => m.Cell(s)));
            var load3 = $"{load.Describe}, {o.TagRuns} runs";
            _report.Add(new Row(path, load3, Cell(_direct), Cell(_peer), Cell(_tlog),
                $"{Runs(vsDirect)} ({met}/{o.TagRuns} ≥ 0.8x)", Runs(vsPeer),
                $"≥ 0.8x direct in {o.TagRuns} of {o.TagRuns} runs, ≥ 3x Distribution proxy", met == o.TagRuns && vsPeer.All(p => p >= 3.0)));
            Progress($"{path}, {load.Describe}: tlogistry/direct {Runs(vsDirect)}: {met}/{o.TagRuns} runs ≥ 0.8x");
            if (_held is not null)
            {
                var heldDirect = runs.Select(m => m.Ratio(_held, _direct)).ToArray();
                var heldPeer = runs.Select(m => m.Ratio(_held, _peer)).ToArray();
                _report.Add(new Row($"{path}, tlogistry --revalidate-after {o.RevalidateAfter}", load3, Cell(_direct), Cell(_peer), Cell(_held),
                    Runs(heldDirect), Runs(heldPeer), "", null));
            }
        }

        /// <summary>
        /// The 64 MiB blob at each connection count through every server and both plain relays.
        /// A proxy that streams bytes cannot beat the registry's own sendfile; what it can be held
        /// to is the best a relay does on the same machine in the same rounds.
        /// </summary>
        private async Task BlobAsync(string relative, string work)
        {
            var path = "64 MiB blob";
            Server[] turns = [_direct, .. Relays, _peer, _tlog];
            var rows = new List<IReadOnlyList<string>>();
            foreach (var c in o.BlobConnections)
            {
                var load = new WrkLoad(work, "blob", null, o.Threads, c);
                var m = await MeasureAsync(path, relative, load, turns, blob: true);
                var best = Relays.OrderByDescending(m.Median).FirstOrDefault();
                var vsBest = best is null ? double.NaN : m.Ratio(_tlog, best);
                string Relay(Server? r) => r is null ? "(not run)" : m.Cell(r) + string.Create(Inv, $" ({m.Ratio(r, _direct):0.00}x direct)");
                rows.Add([
                    load.Describe, m.Cell(_direct), Relay(_haproxy), Relay(_socat), m.Cell(_peer), m.Cell(_tlog),
                    $"{m.Ratio(_tlog, _direct):0.00}x",
                    best is null ? "" : $"{vsBest:0.00}x ({best.Name})",
                    "≥ the best relay",
                    best is null ? "" : vsBest >= 1.0 ? "PASS" : "FAIL",
                ]);
                _report.Note($"{path} ({load.Describe}): tlogistry/best relay per round {(best is null ? "-" : m.PerRound(_tlog, best))}; "
                    + $"tlogistry/direct per round {m.PerRound(_tlog, _direct)}; server CPU s/GiB: {CpuNotes(m)}");
                Progress($"{path}, {load.Describe}: " + string.Join(", ", turns.Select(s => $"{s.Name} {Rate0(m.Median(s))}")) + " MiB/s; "
                    + (best is null ? "no relay" : string.Create(Inv, $"tlogistry/{best.Name} {vsBest:0.00} (rounds {m.PerRound(_tlog, best)}): {(vsBest >= 1.0 ? "PASS" : "FAIL")}")));
            }

            var haproxy = $"HAProxy ({o.HaproxyMode}, splice-auto)";
            _report.Table(
                $"{path}, direct and through two plain relays (MiB/s, medians of {o.Rounds} rounds; Distribution proxy serves its own disk copy):",
                ["load", "direct upstream", haproxy, "socat", "Distribution proxy", "tlogistry", "tlogistry / direct", "tlogistry / best relay", "target", "result"],
                rows);
        }

        /// <summary>Each server's CPU per request (or per GiB) during its own runs, and the upstream's behind it.</summary>
        private string CpuNotes(Measurement m) => string.Join("; ", m.Servers.Select(s =>
            s == _direct ? $"direct {m.CpuPer(s, upstream: false)}" : $"{s.Name} {m.CpuPer(s, upstream: false)} + upstream {m.CpuPer(s, upstream: true)}"));

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
