using System.Globalization;

namespace Tlogistry.Bench.Growth;

/// <summary>
/// The bench's growth subcommands: <c>growth TLOGISTRY.DLL [SIZE ...] [options]</c> (what
/// <c>bench/growth.sh</c> runs) and <c>growth-seed</c>, the seeder it starts in a process of
/// its own for each step of growth.
/// </summary>
internal static class GrowthCommand
{
    public const string Command = "growth";
    public const string SeedCommand = "growth-seed";

    public static bool Handles(string[] args) => args.Length > 0 && args[0] is Command or SeedCommand;

    public static Task<int> RunAsync(string[] args) => args[0] == SeedCommand ? SeedAsync(args[1..]) : GrowthAsync(args[1..]);

    private static async Task<int> GrowthAsync(string[] args)
    {
        GrowthOptions o;
        try
        {
            o = GrowthOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(GrowthOptions.Usage);
            return 2;
        }

        var work = o.Work is { } kept ? Directory.CreateDirectory(kept) : Directory.CreateTempSubdirectory("tlogistry-growth-");
        var tables = new List<string>();
        var wrong = new List<string>();
        try
        {
            await using var upstream = await ScriptedUpstream.StartAsync();
            GrowthRun.Progress($"machine: {Report.Machine()}; upstream at {upstream.BaseUri}; work in {work.FullName}");
            await using var postgres = o.Stores.Contains("postgres") ? await ThrowawayPostgres.StartAsync(work.FullName) : null;
            foreach (var store in o.Stores)
            {
                var run = new GrowthRun(o, work.FullName, upstream, postgres);
                var rows = await run.StoreAsync(store);
                wrong.AddRange(run.Wrong);
                tables.Add(GrowthReport.Render(store == "sqlite" ? "SQLite store, embedded log" : "PostgreSQL store, embedded log", rows));
            }
        }
        finally
        {
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"## Growth: {Report.Machine()}; {o.Warm} warm GETs ({o.Connections} clients), {o.Cold} cold, {o.First} first sightings ({o.Clients} clients), {o.Listings} GETs per listing. Times in ms; MB = 10^6 bytes."));
            Console.WriteLine();
            foreach (var t in tables)
            {
                Console.WriteLine(t);
            }

            foreach (var w in wrong)
            {
                Console.WriteLine("WRONG ANSWER: " + w);
            }

            try
            {
                if (o.Work is null)
                {
                    work.Delete(recursive: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: a temp directory left behind is harmless.
            }
        }

        return wrong.Count == 0 ? 0 : 1;
    }

    private static async Task<int> SeedAsync(string[] args)
    {
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            flags[args[i].TrimStart('-')] = args[i + 1];
        }

        if (!flags.TryGetValue("data-dir", out var dataDir) || !flags.TryGetValue("to", out var to))
        {
            Console.Error.WriteLine("usage: Tlogistry.Bench growth-seed --data-dir DIR --to N [--from N] [--store sqlite|postgres=...] [--concurrency N]");
            return 2;
        }

        if (!long.TryParse(flags.GetValueOrDefault("from", "0"), NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            || !long.TryParse(to, NumberStyles.None, CultureInfo.InvariantCulture, out var end) || end < first
            || !int.TryParse(flags.GetValueOrDefault("concurrency", "256"), NumberStyles.None, CultureInfo.InvariantCulture, out var concurrency) || concurrency < 1)
        {
            Console.Error.WriteLine("growth-seed: --from and --to must be whole numbers with --from ≤ --to, --concurrency 1 or more");
            return 2;
        }

        var (rate, cpuMs) = await Seeder.RunAsync(dataDir, flags.GetValueOrDefault("store"), first, end, concurrency, CancellationToken.None);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SEEDED {rate:0.0} {cpuMs:0.000}"));
        return 0;
    }
}
