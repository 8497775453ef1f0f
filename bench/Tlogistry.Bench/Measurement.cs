using System.Globalization;

namespace Tlogistry.Bench;

/// <summary>
/// The timed runs of one path under one load, per server, with the CPU each server (and the
/// upstream behind it) spent during its own runs. Rates are requests/s, or MiB/s for a blob.
/// </summary>
internal sealed class Measurement(Server[] servers, bool blob)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly Dictionary<Server, List<LoadResult>> _runs = servers.ToDictionary(s => s, _ => new List<LoadResult>());
    private readonly Dictionary<Server, (double Own, double Upstream)> _cpu = servers.ToDictionary(s => s, _ => (0.0, 0.0));

    public IReadOnlyList<Server> Servers => servers;

    public void Add(Server s, LoadResult r, double ownCpu, double upstreamCpu)
    {
        _runs[s].Add(r);
        var c = _cpu[s];
        _cpu[s] = (c.Own + ownCpu, c.Upstream + upstreamCpu);
    }

    public double Rate(LoadResult r) => blob ? r.MiBPerSecond : r.RequestsPerSecond;

    public double Median(Server s) => MedianOf(_runs[s].Select(Rate));

    /// <summary>
    /// The median of per-round ratios: each pairs runs made seconds apart, which holds up
    /// better than a ratio of medians when other work on the machine comes and goes.
    /// </summary>
    public double Ratio(Server a, Server b) => MedianOf(_runs[a].Zip(_runs[b], (x, y) => Rate(x) / Rate(y)));

    public string PerRound(Server a, Server b) => string.Join(", ", _runs[a].Zip(_runs[b], (x, y) => (Rate(x) / Rate(y)).ToString("0.00", Inv)));

    public string Cell(Server s) => string.Create(Inv,
        $"{Median(s):#,0} {(blob ? "MiB/s" : "req/s")} · p50 {Ms(MedianOf(_runs[s].Select(r => r.P50Ms)))} · p99 {Ms(MedianOf(_runs[s].Select(r => r.P99Ms)))}");

    /// <summary>CPU seconds per GiB (blob) or µs per request, of the server itself or of the upstream behind it.</summary>
    public string CpuPer(Server s, bool upstream)
    {
        var work = _runs[s].Sum(r => blob ? r.Bytes / (double)(1L << 30) : r.Requests);
        var c = (upstream ? _cpu[s].Upstream : _cpu[s].Own) / work;
        return (blob ? c : c * 1e6).ToString(blob ? "0.00" : "0", Inv);
    }

    /// <summary>
    /// Server CPU (the server's own and the upstream's behind it) per request or per GiB: what a
    /// request costs the machine, which other work on it disturbs less than throughput.
    /// </summary>
    public double CpuCost(Server s) =>
        (_cpu[s].Own + _cpu[s].Upstream) / _runs[s].Sum(r => blob ? r.Bytes / (double)(1L << 30) : r.Requests);

    public static double MedianOf(IEnumerable<double> xs)
    {
        var a = xs.Order().ToArray();
        return a.Length == 0 ? double.NaN : a.Length % 2 == 1 ? a[a.Length / 2] : (a[(a.Length / 2) - 1] + a[a.Length / 2]) / 2;
    }

    private static string Ms(double ms) => ms.ToString(ms < 10 ? "0.00" : ms < 100 ? "0.0" : "0", Inv) + " ms";
}
