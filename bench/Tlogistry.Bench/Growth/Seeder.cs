using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Tlogistry.Commands;
using Tlogistry.Host;
using Tlogistry.Ledger;
using Tlogistry.Oci;
using Tlogistry.Registry.Tags;
using Tlogistry.Upstream;

namespace Tlogistry.Bench.Growth;

/// <summary>
/// Fills a data directory with first sightings of seeded tags faster than pulls through the
/// server could, and to the same state: it opens the directory with the service's own
/// composition (<see cref="TlogistryApp.BuildAsync"/>, as <c>tlogistry index rebuild</c>
/// does: its signer, embedded log and SQLite or PostgreSQL store) and hands its
/// <see cref="TagLedger"/> the observation the proxy would make of each tag: the digest and
/// media type of the bytes <see cref="ScriptedUpstream"/> serves, the upstream URL the proxy
/// records. Each first sighting's manifest is then held (<see cref="HeldPins.ConfirmedAsync"/>,
/// up to the held bound), as the proxy holds it after answering. Many observations are in
/// flight at once, as under many clients. It reconciles first, as the service's start does, so
/// the store's reconciled mark follows the seeded entries.
/// </summary>
internal static class Seeder
{
    /// <summary>
    /// Seeds tags <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive);
    /// returns sightings per second and this process's CPU milliseconds per sighting (a figure
    /// that other load on the machine disturbs less than the rate).
    /// </summary>
    public static async Task<(double PerSecond, double CpuMs)> RunAsync(string dataDir, string? store, long from, long to, int concurrency, CancellationToken cancellationToken)
    {
        var overrides = new SettingOverrides();
        overrides.Set("DataDir", dataDir);
        overrides.Set("Store", store);
        overrides.Values["Logging:LogLevel:Default"] = "Warning";
        await using var app = await TlogistryApp.BuildAsync(overrides.Values, [], cancellationToken, serving: false);
        var ledger = app.Services.GetRequiredService<TagLedger>();
        var record = app.Services.GetRequiredService<UpstreamRecord>();
        var held = app.Services.GetRequiredService<HeldPins>();

        // As the service's start does: the store brought up to the log, and its reconciled mark
        // then following the entries saved, so the next start reads only what came after it.
        await ledger.ReconcileAsync(cancellationToken);

        // Parts of the append path still wait synchronously: threads enough for every
        // observation in flight keep the pool from starving while they do.
        ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
        ThreadPool.SetMinThreads(Math.Max(minWorkers, concurrency + 16), minIo);
        var next = from - 1;
        long done = 0;
        var clock = Stopwatch.StartNew();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        using var report = new Timer(_ => Progress(Interlocked.Read(ref done), to - from, clock.Elapsed), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            long i;
            while ((i = Interlocked.Increment(ref next)) < to)
            {
                var (observation, manifest) = Observe(record, i);
                var decision = await ledger.ObserveAsync(observation, cancellationToken);
                if (decision.Outcome != PinOutcome.FirstSeen)
                {
                    throw new InvalidOperationException($"seeded tag {i} was already recorded ({decision.Outcome}): seed an empty data directory or continue where it ended");
                }

                await held.ConfirmedAsync(observation.Reference, decision.Pin, manifest, cancellationToken, firstSeen: true);

                Interlocked.Increment(ref done);
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(workers);
        var rate = (to - from) / clock.Elapsed.TotalSeconds;
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / Math.Max(1, to - from);
        Progress(done, to - from, clock.Elapsed);
        return (rate, cpuMs);
    }

    /// <summary>What the proxy observes upstream for seeded tag <paramref name="i"/>, as its manifest-by-tag step builds it, and the manifest it read.</summary>
    public static (Observation Observation, UpstreamManifest Manifest) Observe(UpstreamRecord record, long i)
    {
        var (repository, tag) = GrowthTags.Seeded(i);
        if (!ImageNameParser.TryParse(repository, out var name, out var error))
        {
            throw new InvalidOperationException(error.Message);
        }

        var bytes = GrowthTags.Manifest(repository, tag);
        if (!ManifestCheck.TryAccept(GrowthTags.ManifestType, bytes, out var mediaType, out var problem))
        {
            throw new InvalidOperationException(problem);
        }

        // The URL is recorded only with --record-upstream mapped; the seeded server runs with the default (canonical).
        var fetched = new Uri($"http://upstream.invalid/v2/{name.Repository}/manifests/{tag}");
        var digest = Oci.Digest.Sha256(bytes);
        return (new Observation(TagReference.Create(name, tag), digest, mediaType, record.For(name, tag, fetched)), new UpstreamManifest(bytes, mediaType, digest.ToString(), bytes.Length, fetched));
    }

    private static void Progress(long done, long total, TimeSpan elapsed) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[seed {DateTime.Now:HH:mm:ss}] {done}/{total} sightings in {elapsed.TotalSeconds:0} s ({done / Math.Max(0.001, elapsed.TotalSeconds):0}/s)"));
}
