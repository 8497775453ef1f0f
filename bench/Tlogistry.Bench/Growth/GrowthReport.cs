using System.Globalization;
using System.Text;

namespace Tlogistry.Bench.Growth;

/// <summary>
/// One Markdown table per store, a row per size and a "growth per 10x" row (each column's
/// ratio from the smallest to the largest size, scaled to one factor of ten), then the
/// targets as PASS/FAIL lines.
/// </summary>
internal static class GrowthReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static readonly (string Header, Func<GrowthRow, double> Value, string Format)[] Columns =
    [
        ("seeded/s", r => r.SeedPerSecond, "#,0"),
        ("seed CPU ms", r => r.SeedCpuMs, "0.00"),
        ("start-up ms", r => r.StartupMs, "#,0"),
        ("RSS MB", r => r.RssMB, "0"),
        ("warm p50", r => r.WarmP50, "0.00"),
        ("warm p99", r => r.WarmP99, "0.00"),
        ("cold p50", r => r.ColdP50, "0.00"),
        ("cold p99", r => r.ColdP99, "0.00"),
        ("first/s (64)", r => r.FirstPerSecond, "#,0"),
        ("bundles p50", r => r.BundlesP50, "0.00"),
        ("intents p50", r => r.IntentsP50, "0.00"),
        ("audit s", r => r.AuditSeconds, "0.0"),
        ("rebuild s", r => r.RebuildSeconds, "0.0"),
        ("bytes/sighting", r => r.BytesPerSighting, "#,0"),
    ];

    public static string Render(string store, IReadOnlyList<GrowthRow> rows)
    {
        var s = new StringBuilder();
        s.AppendLine(Inv, $"### {store}");
        s.AppendLine();
        s.AppendLine("| sightings | log entries | " + string.Join(" | ", Columns.Select(c => c.Header)) + " |");
        s.AppendLine("|---:|---:|" + string.Concat(Columns.Select(_ => "---:|")));
        foreach (var r in rows)
        {
            s.AppendLine(string.Create(Inv, $"| {r.Size:#,0} | {r.Entries:#,0} | ") + string.Join(" | ", Columns.Select(c => c.Value(r).ToString(c.Format, Inv))) + " |");
        }

        if (rows.Count > 1)
        {
            var (first, last) = (rows[0], rows[^1]);
            s.AppendLine("| growth per 10x | | " + string.Join(" | ", Columns.Select(c => PerTenfold(c.Value(first), c.Value(last), first.Size, last.Size) is var f && double.IsFinite(f) ? f.ToString("0.00", Inv) + "x" : "-")) + " |");
        }

        s.AppendLine();
        foreach (var (ok, line) in Targets(rows))
        {
            s.AppendLine(Inv, $"- {(ok ? "PASS" : "FAIL")}: {line}");
        }

        return s.ToString();
    }

    /// <summary>The factor a value grows by per tenfold growth of the log: (last/first)^(1/log10(size ratio)).</summary>
    public static double PerTenfold(double first, double last, long firstSize, long lastSize) =>
        first <= 0 || lastSize <= firstSize ? double.NaN : Math.Pow(last / first, 1 / Math.Log10((double)lastSize / firstSize));

    /// <summary>Each target against the smallest and largest sizes measured (the targets are set for 10k and 1M).</summary>
    public static IEnumerable<(bool Ok, string Line)> Targets(IReadOnlyList<GrowthRow> rows)
    {
        var (first, last) = (rows[0], rows[^1]);
        var at = last.Size >= 1_000_000 ? "" : string.Create(Inv, $" (set for 1M; measured at {last.Size:#,0})");
        yield return (last.RssMB - first.RssMB <= 64,
            string.Create(Inv, $"RSS at {last.Size:#,0} ({last.RssMB:0} MB) within 64 MB of RSS at {first.Size:#,0} ({first.RssMB:0} MB){at}"));
        yield return (last.StartupMs <= 2000, string.Create(Inv, $"start-up at {last.Size:#,0} {last.StartupMs:#,0} ms ≤ 2 s{at}"));
        yield return (last.WarmP50 <= 1.2 * first.WarmP50,
            string.Create(Inv, $"warm GET p50 at {last.Size:#,0} ({last.WarmP50:0.00} ms) ≤ 1.2x that at {first.Size:#,0} ({first.WarmP50:0.00} ms): {last.WarmP50 / first.WarmP50:0.00}x"));
        var slowest = rows.MinBy(r => r.FirstPerSecond)!;
        yield return (slowest.FirstPerSecond >= 500,
            string.Create(Inv, $"first sightings ≥ 500/s with 64 clients: slowest {slowest.FirstPerSecond:#,0}/s at {slowest.Size:#,0}"));
        yield return (last.BundlesP50 <= 2 * first.BundlesP50 && last.IntentsP50 <= 2 * first.IntentsP50,
            string.Create(Inv, $"listing first page flat (≤ 2x from {first.Size:#,0} to {last.Size:#,0}): /tlog/bundles?image= {last.BundlesP50 / first.BundlesP50:0.00}x, /tlog/intents {last.IntentsP50 / first.IntentsP50:0.00}x"));
    }
}
