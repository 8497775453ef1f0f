using System.Globalization;

namespace Tlogistry.Bench;

/// <summary>
/// Run settings. Each can be given as <c>--name value</c> or through the environment
/// (<c>BENCH_NAME</c>); a flag wins over the environment.
/// </summary>
internal sealed record BenchOptions
{
    public required string ProxyDll { get; init; }

    /// <summary>Seconds of each timed load run (one server, one path, one round).</summary>
    public int Duration { get; init; } = 2;

    /// <summary>Seconds of load on each server and path before any timed run.</summary>
    public int Warmup { get; init; } = 1;

    /// <summary>Seconds of GET-by-tag load on each server after start, before any path.</summary>
    public int StartupWarmup { get; init; } = 5;

    /// <summary>Whether the blob paths also go through the plain relays (HAProxy, socat), the baseline for a streaming proxy.</summary>
    public bool Relay { get; init; } = true;

    /// <summary>
    /// HAProxy's mode in front of the upstream: tcp or http, both with splice-auto. tcp by
    /// default: it spent less CPU per GiB and moved blobs faster here, so it is the harder baseline.
    /// </summary>
    public string HaproxyMode { get; init; } = "tcp";

    /// <summary>Timed runs per server and path; servers take turns, the median counts.</summary>
    public int Rounds { get; init; } = 5;

    /// <summary>Connections and wrk threads for the manifest paths.</summary>
    public int Connections { get; init; } = 8;

    /// <summary>Connection counts for warm GET by tag, each measured <see cref="TagRuns"/> times.</summary>
    public IReadOnlyList<int> TagConnections { get; init; } = [8, 16];

    /// <summary>Independent runs (each of <see cref="Rounds"/> rounds) of warm GET by tag per connection count; the target must hold in every one.</summary>
    public int TagRuns { get; init; } = 3;

    /// <summary>
    /// A second tlogistry serves warm tags with this <c>--revalidate-after</c> (held bytes, no
    /// upstream request inside the window) beside the first; "0" leaves it out.
    /// </summary>
    public string RevalidateAfter { get; init; } = "60s";

    public int Threads { get; init; } = 2;

    /// <summary>Connection counts for the 64 MiB blob path, one row each.</summary>
    public IReadOnlyList<int> BlobConnections { get; init; } = [1, 4];

    /// <summary>New tags pulled one at a time for the cold first-seen latency.</summary>
    public int Cold { get; init; } = 100;

    /// <summary>Concurrent first pulls of one new tag.</summary>
    public int Burst { get; init; } = 500;

    /// <summary>Size of the blob streamed for the peak-RSS reading, in MiB.</summary>
    public int HugeMiB { get; init; } = 1024;

    /// <summary>Which measurements to make: tag, head, digest, blob, cold, burst, rss.</summary>
    public IReadOnlySet<string> Only { get; init; } = new HashSet<string>(AllParts, StringComparer.Ordinal);

    public static readonly string[] AllParts = ["tag", "head", "digest", "blob", "cold", "burst", "rss"];

    public bool Runs(string part) => Only.Contains(part);

    public const string Usage = """
        usage: Tlogistry.Bench <tlogistry.dll> [--duration S] [--warmup S] [--startup-warmup S] [--rounds N] [--connections N]
                               [--threads N] [--blob-connections 1,4] [--cold N] [--burst N] [--huge-mib N]
                               [--tag-connections 8,16] [--tag-runs N] [--revalidate-after 60s|0]
                               [--only tag,head,digest,blob,cold,burst,rss] [--relay 0|1] [--haproxy-mode tcp|http]
        (each also as BENCH_DURATION, BENCH_WARMUP, ... in the environment)
        """;

    public static BenchOptions Parse(string[] args)
    {
        if (args.Length < 1 || !File.Exists(args[0]))
        {
            throw new ArgumentException("the first argument must be the path of tlogistry.dll");
        }

        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument \"{arg}\"");
            }

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                flags[arg[2..eq]] = arg[(eq + 1)..];
            }
            else if (i + 1 < args.Length)
            {
                flags[arg[2..]] = args[++i];
            }
            else
            {
                throw new ArgumentException($"{arg} needs a value");
            }
        }

        string? Get(string name)
        {
            if (flags.Remove(name, out var v))
            {
                return v;
            }

            var env = Environment.GetEnvironmentVariable("BENCH_" + name.Replace('-', '_').ToUpperInvariant());
            return string.IsNullOrWhiteSpace(env) ? null : env;
        }

        int Int(string name, int fallback, int min) =>
            Get(name) is { } s ? Math.Max(min, int.Parse(s, CultureInfo.InvariantCulture)) : fallback;

        IReadOnlyList<int>? Ints(string name) =>
            Get(name) is { } list
                ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => Math.Max(1, int.Parse(s, CultureInfo.InvariantCulture))).ToArray()
                : null;

        var defaults = new BenchOptions { ProxyDll = args[0] };
        var options = defaults with
        {
            Duration = Int("duration", defaults.Duration, 1),
            Warmup = Int("warmup", defaults.Warmup, 0),
            StartupWarmup = Int("startup-warmup", defaults.StartupWarmup, 0),
            Relay = Int("relay", 1, 0) != 0,
            Rounds = Int("rounds", defaults.Rounds, 1),
            Connections = Int("connections", defaults.Connections, 1),
            Threads = Int("threads", defaults.Threads, 1),
            BlobConnections = Ints("blob-connections") ?? defaults.BlobConnections,
            TagConnections = Ints("tag-connections") ?? defaults.TagConnections,
            TagRuns = Int("tag-runs", defaults.TagRuns, 1),
            RevalidateAfter = Get("revalidate-after") ?? defaults.RevalidateAfter,
            HaproxyMode = Get("haproxy-mode") ?? defaults.HaproxyMode,
            Cold = Int("cold", defaults.Cold, 1),
            Burst = Int("burst", defaults.Burst, 1),
            HugeMiB = Int("huge-mib", defaults.HugeMiB, 1),
            Only = Get("only") is { } only
                ? only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal)
                : defaults.Only,
        };
        if (options.Only.FirstOrDefault(p => !AllParts.Contains(p)) is { } unknown)
        {
            throw new ArgumentException($"--only knows {string.Join(',', AllParts)}, not \"{unknown}\"");
        }

        if (options.HaproxyMode is not ("http" or "tcp"))
        {
            throw new ArgumentException($"--haproxy-mode is http or tcp, not \"{options.HaproxyMode}\"");
        }

        if (flags.Count > 0)
        {
            throw new ArgumentException("unknown option --" + string.Join(", --", flags.Keys));
        }

        return options;
    }
}
