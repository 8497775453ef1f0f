using System.Diagnostics;

namespace Tlogistry.Bench.Growth;

/// <summary>Latencies of one batch of requests and how many were answered wrongly.</summary>
internal sealed record Timings(double[] Ms, double WallSeconds, int Wrong, string? FirstWrong)
{
    public double P50 => Percentile(0.50);

    public double P99 => Percentile(0.99);

    public double PerSecond => Ms.Length / WallSeconds;

    private double Percentile(double q)
    {
        var a = Ms.Order().ToArray();
        return a.Length == 0 ? double.NaN : a[Math.Clamp((int)Math.Ceiling(q * a.Length) - 1, 0, a.Length - 1)];
    }
}

/// <summary>
/// The pulls of the growth benchmark: each answer is checked against the digest the upstream
/// serves for the tag and against whether it should be a first sighting.
/// </summary>
internal static class GrowthLoad
{
    /// <summary>
    /// <paramref name="count"/> GETs by tag spread over <paramref name="clients"/> concurrent
    /// clients; <paramref name="tag"/> gives request <c>i</c>'s tag; each answer must carry the
    /// upstream's digest and be a first sighting exactly when <paramref name="firstSeen"/>.
    /// </summary>
    public static async Task<Timings> PullAsync(Uri server, int count, int clients, Func<int, (string Repository, string Tag)> tag, bool firstSeen)
    {
        using var http = Pulls.Client();
        var ms = new double[count];
        var next = -1;
        var wrong = 0;
        string? firstWrong = null;
        var t0 = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var (repository, t) = tag(i);
                var (pull, problem) = await OneAsync(http, server, repository, t, firstSeen);
                ms[i] = pull;
                if (problem is not null)
                {
                    Interlocked.Increment(ref wrong);
                    Interlocked.CompareExchange(ref firstWrong, problem, null);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        return new Timings(ms, Stopwatch.GetElapsedTime(t0).TotalSeconds, wrong, firstWrong);
    }

    /// <summary><paramref name="count"/> sequential GETs of <paramref name="path"/>, each to be answered 200.</summary>
    public static async Task<Timings> GetAsync(Uri server, string path, int count)
    {
        using var http = Pulls.Client();
        var ms = new double[count];
        var wrong = 0;
        string? firstWrong = null;
        var t0 = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var s = Stopwatch.GetTimestamp();
            using var r = await http.GetAsync(new Uri(server, path), HttpCompletionOption.ResponseHeadersRead);
            var body = await r.Content.ReadAsByteArrayAsync();
            ms[i] = Stopwatch.GetElapsedTime(s).TotalMilliseconds;
            if (!r.IsSuccessStatusCode || body.Length == 0)
            {
                wrong++;
                firstWrong ??= $"GET {path}: {(int)r.StatusCode}, {body.Length} bytes";
            }
        }

        return new Timings(ms, Stopwatch.GetElapsedTime(t0).TotalSeconds, wrong, firstWrong);
    }

    private static async Task<(double Ms, string? Problem)> OneAsync(HttpClient http, Uri server, string repository, string tag, bool firstSeen)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, new Uri(server, $"/v2/{repository}/manifests/{tag}"));
        req.Headers.TryAddWithoutValidation("Accept", Pulls.ManifestAccept);
        var t0 = Stopwatch.GetTimestamp();
        using var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        var body = await resp.Content.ReadAsByteArrayAsync();
        var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        var want = GrowthTags.Digest(GrowthTags.Manifest(repository, tag));
        var seen = resp.Headers.Contains("Tlog-First-Seen");
        if (!resp.IsSuccessStatusCode)
        {
            return (ms, $"{repository}:{tag} answered {(int)resp.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
        }

        if (GrowthTags.Digest(body) != want)
        {
            return (ms, $"{repository}:{tag} served {GrowthTags.Digest(body)}, upstream has {want}");
        }

        return seen == firstSeen ? (ms, null) : (ms, $"{repository}:{tag} {(seen ? "was" : "was not")} a first sighting");
    }
}
