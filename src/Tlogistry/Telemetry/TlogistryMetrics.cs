using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Tlogistry.Telemetry;

/// <summary>
/// The service's own instruments, on one meter named <see cref="MeterName"/>. Each method is
/// a counter add or a histogram record with tags passed by value: nothing is allocated per
/// call beyond what a listening SDK does, and with no listener a call is almost free.
/// </summary>
internal sealed class TlogistryMetrics
{
    public const string MeterName = "Tlogistry";

    // Latencies from a millisecond on loopback to a slow upstream's 30 s timeout.
    private static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _upstream;
    private readonly Histogram<double> _log;
    private readonly Counter<long> _cacheLookups;
    private readonly Counter<long> _notifyDeliveries;
    private readonly Counter<long> _tagMoves;
    private readonly Counter<long> _moveObservations;
    private readonly Counter<long> _storedPinReads;

    public TlogistryMetrics(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        var latency = new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets };
        _requests = meter.CreateCounter<long>("tlogistry.requests", "{request}", "Requests answered, by route and outcome.");
        _upstream = meter.CreateHistogram("tlogistry.upstream.duration", "s", "Time until an upstream registry or token service answered with headers, by operation.", advice: latency);
        _log = meter.CreateHistogram("tlogistry.log.duration", "s", "Time a transparency log call took, by operation.", advice: latency);
        _cacheLookups = meter.CreateCounter<long>("tlogistry.cache.lookups", "{lookup}", "Lookups in an in-memory cache, by cache and result (hit or miss).");
        _notifyDeliveries = meter.CreateCounter<long>("tlogistry.notify.deliveries", "{delivery}", "Move notifications by result: delivered, retried (one per retry), failed or dropped.");
        _tagMoves = meter.CreateCounter<long>("tlogistry.tag_moves", "{move}", "Moves of a pinned tag (tag, pinned digest, upstream digest) this replica recorded first, by registry.");
        _storedPinReads = meter.CreateCounter<long>("tlogistry.stored_pin.reads", "{read}", "Pins read from the store, by how they were trusted: stamp (this instance verified the very row before) or full (bundle, signer and checkpoint verified).");
        _moveObservations = meter.CreateCounter<long>("tlogistry.tag_move.observations", "{observation}", "Pulls that saw a moved tag, by registry, answer (refused or served_pinned) and result (recorded or failed, when the store could not take it).");
    }

    /// <summary>One answered request; <paramref name="route"/> and <paramref name="outcome"/> come from <c>RequestOutcome</c>.</summary>
    public void Request(string route, string outcome) =>
        _requests.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>An upstream call (manifest, blob, tags, referrers, token) that started at <paramref name="startTimestamp"/>.</summary>
    public void UpstreamCall(string operation, long startTimestamp) =>
        _upstream.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("operation", operation));

    /// <summary>A log call (append, search, read) that started at <paramref name="startTimestamp"/>.</summary>
    public void LogCall(string operation, long startTimestamp) =>
        _log.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("operation", operation));

    /// <summary>
    /// One lookup in the in-memory cache named <paramref name="cache"/> (<c>pin</c>: verified
    /// pins): a hit was answered from memory, a miss went to the store or the log.
    /// </summary>
    public void CacheLookup(string cache, bool hit) =>
        _cacheLookups.Add(1, new KeyValuePair<string, object?>("cache", cache), new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    /// <summary>A pin read from the store and trusted by its stamp (<paramref name="stamped"/>) or verified in full.</summary>
    public void StoredPinRead(bool stamped) =>
        _storedPinReads.Add(1, new KeyValuePair<string, object?>("verification", stamped ? "stamp" : "full"));

    /// <summary>
    /// One step of a move notification: <c>delivered</c> or <c>failed</c> (once per event and
    /// URL), <c>retried</c> (once per retry), <c>dropped</c> (an event the full queue refused).
    /// </summary>
    public void NotifyDelivery(string result) =>
        _notifyDeliveries.Add(1, new KeyValuePair<string, object?>("result", result));

    /// <summary>A move recorded for the first time anywhere (counted by the replica that recorded it).</summary>
    public void TagMoveFirstSeen(string registry) =>
        _tagMoves.Add(1, new KeyValuePair<string, object?>("registry", registry));

    /// <summary>One pull that saw a moved tag; <paramref name="recorded"/> false when the store did not take it.</summary>
    public void TagMoveObserved(string registry, string answer, bool recorded) =>
        _moveObservations.Add(
            1,
            new KeyValuePair<string, object?>("registry", registry),
            new KeyValuePair<string, object?>("answer", answer),
            new KeyValuePair<string, object?>("result", recorded ? "recorded" : "failed"));
}
