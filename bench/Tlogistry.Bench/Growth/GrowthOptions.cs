using System.Globalization;

namespace Tlogistry.Bench.Growth;

/// <summary>Settings of <c>bash bench/growth.sh</c>: sizes as plain numbers, the rest as <c>--name value</c>.</summary>
internal sealed record GrowthOptions
{
    public required string ProxyDll { get; init; }

    /// <summary>Sightings in the log at each measured size, ascending; the data grows from one to the next.</summary>
    public IReadOnlyList<long> Sizes { get; init; } = [10_000, 100_000, 1_000_000];

    public IReadOnlyList<string> Stores { get; init; } = ["sqlite", "postgres"];

    /// <summary>Timed warm GETs over random seeded tags, after <see cref="WarmUp"/> untimed ones.</summary>
    public int Warm { get; init; } = 20_000;

    public int WarmUp { get; init; } = 2_000;

    /// <summary>Concurrent clients of the warm GETs.</summary>
    public int Connections { get; init; } = 8;

    /// <summary>First sightings pulled one at a time for the cold latency.</summary>
    public int Cold { get; init; } = 200;

    /// <summary>First sightings pulled by <see cref="Clients"/> concurrent clients for the throughput.</summary>
    public int First { get; init; } = 2_000;

    public int Clients { get; init; } = 64;

    /// <summary>Sequential GETs of each listing endpoint.</summary>
    public int Listings { get; init; } = 30;

    /// <summary>Observations in flight at once while seeding.</summary>
    public int SeedConcurrency { get; init; } = 256;

    /// <summary>A work directory to keep: data seeded there by an earlier run is measured again, not seeded anew.</summary>
    public string? Work { get; init; }

    /// <summary>False skips <c>tlogistry audit</c> and <c>index rebuild</c> (their columns show 0).</summary>
    public bool Audit { get; init; } = true;

    public const string Usage = """
        usage: bash bench/growth.sh [SIZE ...] [--store sqlite|postgres|both] [--warm N] [--warm-up N] [--connections N]
                                    [--cold N] [--first N] [--clients N] [--listings N] [--seed-concurrency N]
                                    [--work DIR] [--audit yes|no]
        (default sizes 10000 100000 1000000, both stores)
        """;

    public static GrowthOptions Parse(string[] args)
    {
        if (args.Length < 1 || !File.Exists(args[0]))
        {
            throw new ArgumentException("the first argument must be the path of tlogistry.dll");
        }

        var sizes = new List<long>();
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                sizes.Add(long.TryParse(args[i].Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                    ? n
                    : throw new ArgumentException($"a size must be a positive whole number of sightings, got \"{args[i]}\""));
            }
            else if (i + 1 < args.Length)
            {
                flags[args[i][2..]] = args[++i];
            }
            else
            {
                throw new ArgumentException($"{args[i]} needs a value");
            }
        }

        int Int(string name, int fallback, int min) =>
            flags.Remove(name, out var s)
                ? int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min ? v : throw new ArgumentException($"--{name} must be a whole number ≥ {min}, got \"{s}\"")
                : fallback;

        var defaults = new GrowthOptions { ProxyDll = args[0] };
        var o = defaults with
        {
            Sizes = sizes.Count > 0 ? [.. sizes.Distinct().Order()] : defaults.Sizes,
            Stores = flags.Remove("store", out var store)
                ? store switch
                {
                    "sqlite" or "postgres" => [store],
                    "both" => defaults.Stores,
                    _ => throw new ArgumentException($"--store must be sqlite, postgres or both, got \"{store}\""),
                }
                : defaults.Stores,
            Warm = Int("warm", defaults.Warm, 1),
            WarmUp = Int("warm-up", defaults.WarmUp, 0),
            Connections = Int("connections", defaults.Connections, 1),
            Cold = Int("cold", defaults.Cold, 1),
            First = Int("first", defaults.First, 1),
            Clients = Int("clients", defaults.Clients, 1),
            Listings = Int("listings", defaults.Listings, 1),
            SeedConcurrency = Int("seed-concurrency", defaults.SeedConcurrency, 1),
            Work = flags.Remove("work", out var work) ? Path.GetFullPath(work) : null,
            Audit = !flags.Remove("audit", out var audit) || audit switch
            {
                "yes" => true,
                "no" => false,
                _ => throw new ArgumentException($"--audit must be yes or no, got \"{audit}\""),
            },
        };
        return flags.Count == 0 ? o : throw new ArgumentException("unknown option --" + string.Join(", --", flags.Keys));
    }
}
