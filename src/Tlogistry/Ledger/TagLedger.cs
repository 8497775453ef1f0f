using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Tlogistry.Signing;
using Tlogistry.Store;
using Tlogistry.Telemetry;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Ledger;

/// <summary>What the proxy saw upstream for a tag.</summary>
internal sealed record Observation(string Reference, string Digest, string MediaType, string Upstream);

internal enum PinOutcome
{
    /// <summary>No pin existed; this request recorded one.</summary>
    FirstSeen,

    /// <summary>The tag is pinned to the digest that was observed.</summary>
    Match,

    /// <summary>The tag is pinned to another digest.</summary>
    Mismatch,
}

internal sealed record LedgerDecision(PinOutcome Outcome, Sighting Pin);

/// <summary>
/// The tag ledger: the only place that decides whether an observed digest is served.
/// A pin read from the index is verified against the log once (signature, statement,
/// inclusion) and then cached. First sightings are single-flight per tag: concurrent
/// requests share one sign → append → index, and processes sharing the store take the
/// store's tag lock around it, so one tag gets exactly one log entry.
/// </summary>
internal sealed partial class TagLedger
{
    private readonly ISightingIndex _index;
    private readonly ITransparencyLog _log;
    private readonly IEnvelopeSigner _signer;
    private readonly SightingReader _reader;
    private readonly TimeProvider _time;
    private readonly ILogger<TagLedger> _logger;
    private readonly TlogistryMetrics? _metrics;
    private readonly PinGate _gate;
    private const int VerifiedCapacity = 100_000;
    private readonly ConcurrentDictionary<string, Sighting> _verified = new(StringComparer.Ordinal);

    // Pins in the log whose index write failed: never evicted, or the tag could be logged twice.
    private readonly ConcurrentDictionary<string, Sighting> _unindexed = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _conflicts = new();
    private readonly ConcurrentDictionary<string, bool> _conflictsSeen = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _unverifiable = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<(Sighting Pin, bool Recorded)>>> _inFlight = new(StringComparer.Ordinal);

    public TagLedger(ISightingIndex index, ITransparencyLog log, IEnvelopeSigner signer, SightingReader reader, TimeProvider time, ILogger<TagLedger> logger, TlogistryMetrics? metrics = null, LogHistory? history = null)
    {
        _index = index;
        _log = log;
        _signer = signer;
        _reader = reader;
        _time = time;
        _logger = logger;

        // Optional: a ledger built by hand (tools, tests) needs no meter, nor a memory of the log's checkpoints.
        _metrics = metrics;
        _gate = new PinGate(log.LogId, history);
    }

    /// <summary>Tags for which reconcile, rebuild or import met two valid sightings of ours with different digests.</summary>
    public IReadOnlyCollection<string> Conflicts => _conflicts;

    /// <summary>
    /// Entries that rebuild or import read but could not verify as sightings of a signer that
    /// counts (a key not configured, say): each is a sighting the store may now lack.
    /// </summary>
    public IReadOnlyCollection<string> Unverifiable => _unverifiable;

    /// <summary>The identity new sightings record.</summary>
    public string Identity => _reader.Identity;

    public async Task<LedgerDecision> ObserveAsync(Observation observed, CancellationToken cancellationToken)
    {
        using var activity = TlogistryTracing.Source.StartActivity("ledger.observe", ActivityKind.Internal);
        activity?.SetTag("tlogistry.reference", observed.Reference);
        activity?.SetTag("tlogistry.digest", observed.Digest);
        var decision = await DecideAsync(observed, cancellationToken);
        activity?.SetTag("tlogistry.decision", decision.Outcome switch
        {
            PinOutcome.FirstSeen => "first_seen",
            PinOutcome.Match => "match",
            _ => "mismatch",
        });
        return decision;
    }

    private async Task<LedgerDecision> DecideAsync(Observation observed, CancellationToken cancellationToken)
    {
        var pin = await FindPinAsync(observed.Reference, cancellationToken);
        if (pin is not null)
        {
            return Decide(pin, observed);
        }

        var mine = new Lazy<Task<(Sighting Pin, bool Recorded)>>(() => RecordFirstAsync(observed));
        var shared = _inFlight.GetOrAdd(observed.Reference, mine);
        try
        {
            // The shared task is not tied to one client's cancellation: others wait on it too.
            var (sighting, recorded) = await shared.Value.WaitAsync(cancellationToken);
            return recorded && ReferenceEquals(shared, mine) ? new LedgerDecision(PinOutcome.FirstSeen, sighting) : Decide(sighting, observed);
        }
        finally
        {
            if (ReferenceEquals(shared, mine))
            {
                _inFlight.TryRemove(new KeyValuePair<string, Lazy<Task<(Sighting, bool)>>>(observed.Reference, mine));
            }
        }
    }

    /// <summary>The pin of a tag if it is verified and in memory; no store or log is asked.</summary>
    public Sighting? CachedPin(string reference) => _verified.GetValueOrDefault(reference);

    /// <summary>The verified pin for a tag reference, or null when the tag has never been seen.</summary>
    public Task<Sighting?> FindPinAsync(string reference, CancellationToken cancellationToken)
    {
        // Counted here, once per caller's question: the re-check under a first sighting's
        // single flight is the same question asked again.
        var hit = _verified.TryGetValue(reference, out var cached);
        _metrics?.CacheLookup("pin", hit);
        return hit ? Task.FromResult<Sighting?>(cached) : LookUpAsync(reference, cancellationToken);
    }

    /// <param name="searchLog">False for a re-check that a log search under the tag's lock follows anyway.</param>
    private async Task<Sighting?> LookUpAsync(string reference, CancellationToken cancellationToken, bool searchLog = true)
    {
        if (_verified.TryGetValue(reference, out var cached))
        {
            return cached;
        }

        if (_unindexed.TryGetValue(reference, out cached))
        {
            // No pin is served from memory alone: it counts once the store holds it.
            await StoreLostPinAsync(cached);
            return cached;
        }

        var stored = await ReadStoredAsync(reference, cancellationToken);
        return stored is not null || !searchLog ? stored : await SearchLogAsync(reference, cancellationToken);
    }

    /// <summary>The store's pin for a tag, verified and cached; null when the store has none.</summary>
    private async Task<Sighting?> ReadStoredAsync(string reference, CancellationToken cancellationToken)
    {
        Sighting? stored;
        try
        {
            stored = await Guard("index lookup", () => _index.FindAsync(reference, cancellationToken));
        }
        catch (FormatException e)
        {
            throw new LedgerIntegrityException($"stored sighting of {reference} is not a readable bundle: {e.Message}", e);
        }

        if (stored is null)
        {
            return null;
        }

        var pin = Verify(stored);
        var proven = false;
        await AdmitAsync(async () => proven = await _gate.AdmitStoredAsync(pin, cancellationToken));
        if (!proven)
        {
            Log.StoredPinUnproven(_logger, reference, pin.LogIndex);
        }

        Remember(pin);
        return pin;
    }

    /// <summary>
    /// A tag the store does not know may still be pinned in a log with a search (the embedded
    /// log, Rekor v1): the earliest valid sighting of ours found there is the pin, and goes back
    /// into the store; a later one that disagrees is reported as a conflict.
    /// </summary>
    private async Task<Sighting?> SearchLogAsync(string reference, CancellationToken cancellationToken)
    {
        var found = new List<Sighting>();
        await GuardLog("log search", async () =>
        {
            foreach (var key in _reader.SearchKeys)
            {
                await foreach (var record in _log.SearchAsync(reference, key, cancellationToken))
                {
                    if (TryRead(record, out var sighting) && sighting.Reference == reference && !found.Exists(f => f.LogIndex == sighting.LogIndex && f.LogId == sighting.LogId))
                    {
                        if (_gate.Refusal(sighting) is { } why)
                        {
                            Log.SkippedEntry(_logger, sighting.LogIndex, why);
                            continue;
                        }

                        found.Add(sighting);
                    }
                }
            }

            return 0;
        });

        if (found.Count == 0)
        {
            return null;
        }

        found.Sort((a, b) => a.LogIndex.CompareTo(b.LogIndex));
        var pin = found[0];
        foreach (var other in found.Where(s => s.Digest != pin.Digest))
        {
            ReportConflict(pin, other);
        }

        await AdmitAsync(() => _gate.AdmitAsync(pin, cancellationToken));
        await SaveQuietlyAsync(pin);
        Remember(pin);
        return pin;
    }

    /// <summary>
    /// Reads a log record as a verified sighting of ours; anything else is logged with its reason
    /// and skipped, and the reason is added to <paramref name="skipped"/> when given.
    /// </summary>
    private bool TryRead(LogRecord record, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Sighting? sighting, ConcurrentQueue<string>? skipped = null)
    {
        sighting = null;
        string reason;
        if (record.Envelope is null)
        {
            reason = "the log returned no envelope for this entry";
        }
        else
        {
            try
            {
                sighting = _reader.Read(_reader.Bundle(record.Entry, record.Envelope));
                return true;
            }
            catch (Exception e) when (e is FormatException or LogVerificationException)
            {
                reason = e.Message;
            }
        }

        Log.SkippedEntry(_logger, record.Entry.LogIndex, reason);
        skipped?.Enqueue($"log entry {record.Entry.LogIndex}: {reason}");
        return false;
    }

    /// <summary>
    /// Brings the index up to the log: entries appended but not indexed (a crash between the
    /// two) are indexed now, since the log is the source of truth.
    /// </summary>
    public async Task<int> ReconcileAsync(CancellationToken cancellationToken) =>
        await RebuildAsync(await _index.FirstUnindexedAsync(Convert.ToHexStringLower(_log.LogId), cancellationToken), null, cancellationToken);

    /// <summary>
    /// Indexes every valid sighting of ours that the log lists from <paramref name="from"/> on;
    /// <paramref name="progress"/> hears of each entry read. A log that keeps only hashes
    /// (Rekor v2, <see cref="ITransparencyLog.FindsLostPins"/> false) yields no sightings: import a bundle export instead.
    /// </summary>
    public async Task<int> RebuildAsync(long from, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var added = 0;
        await foreach (var record in _log.ReadFromAsync(from, _reader.SearchKeys, cancellationToken))
        {
            progress?.Report(record.Entry.LogIndex);
            if (TryRead(record, out var sighting, _unverifiable) && await IndexAsync(sighting, cancellationToken))
            {
                added++;
            }
        }

        return added;
    }

    /// <summary>Imports bundles (an export): each must verify as a sighting of ours; returns how many were new.</summary>
    public async Task<int> ImportAsync(IAsyncEnumerable<SigstoreBundle> bundles, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var added = 0;
        await foreach (var bundle in bundles.WithCancellation(cancellationToken))
        {
            progress?.Report(bundle.Entry.LogIndex);
            Sighting sighting;
            try
            {
                sighting = _reader.Read(bundle);
            }
            catch (Exception e) when (e is FormatException or LogVerificationException)
            {
                Log.SkippedEntry(_logger, bundle.Entry.LogIndex, e.Message);
                _unverifiable.Enqueue($"log entry {bundle.Entry.LogIndex}: {e.Message}");
                continue;
            }

            if (await IndexAsync(sighting, cancellationToken))
            {
                added++;
            }
        }

        return added;
    }

    /// <summary>
    /// Stores a verified sighting unless its tag is pinned already by the same or an earlier
    /// one. The log decides, not the store: a sighting the log holds before the stored pin
    /// replaces it (a store that lost the earlier row and took a later one is corrected).
    /// Two that disagree are reported either way.
    /// </summary>
    private async Task<bool> IndexAsync(Sighting sighting, CancellationToken cancellationToken)
    {
        var existing = await _index.FindAsync(sighting.Reference, cancellationToken);
        if (existing is null)
        {
            await _index.SaveAsync(sighting, cancellationToken);
            return true;
        }

        if (existing.LogIndex == sighting.LogIndex && existing.LogId == sighting.LogId)
        {
            return false;
        }

        var earlier = SightingOrder.Precedes(sighting, existing);
        var (first, later) = earlier ? (sighting, existing) : (existing, sighting);
        if (first.Digest != later.Digest)
        {
            ReportConflict(first, later);
        }
        else
        {
            Log.DuplicateEntry(_logger, later.LogIndex, sighting.Reference, first.LogIndex);
        }

        if (!earlier)
        {
            return false;
        }

        await _index.ReplaceAsync(existing, sighting, cancellationToken);
        _verified.TryRemove(sighting.Reference, out _);
        return true;
    }

    /// <summary>Two valid sightings of ours disagree: the first stays the pin, and the operator must hear of it.</summary>
    private void ReportConflict(Sighting first, Sighting later)
    {
        // Once each: a scan meets the pair from both sides.
        var conflict = $"{first.Reference}: log index {first.LogIndex} says {first.Digest}, log index {later.LogIndex} says {later.Digest}; the first (log index {first.LogIndex}) is the pin";
        if (_conflictsSeen.TryAdd(conflict, true))
        {
            _conflicts.Enqueue(conflict);
            Log.Conflict(_logger, conflict);
        }
    }

    /// <summary>
    /// Caches a verified pin. The cache is bounded: when full it starts over, since any pin
    /// can be read and verified again from the index and the log.
    /// </summary>
    private void Remember(Sighting sighting)
    {
        if (_verified.Count >= VerifiedCapacity)
        {
            _verified.Clear();
        }

        _verified[sighting.Reference] = sighting;
    }

    /// <summary>Turns storage failures into <see cref="LedgerUnavailableException"/>, naming the step.</summary>
    private static async Task<T> Guard<T>(string step, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (IsStorageFailure(e))
        {
            throw new LedgerUnavailableException($"{step} failed: {e.Message}", e);
        }
    }

    /// <summary>A log that is down or answers with errors: the same outage as a storage failure.</summary>
    private static async Task<T> GuardLog<T>(string step, Func<Task<T>> action)
    {
        try
        {
            return await Guard(step, action);
        }
        catch (LogUnavailableException e)
        {
            throw new LedgerUnavailableException($"{step} failed: {e.Message}", e);
        }
        catch (LogVerificationException e)
        {
            // An answer that fails verification is not an outage: it never serves unverified.
            throw new LedgerIntegrityException($"{step} failed: {e.Message}", e);
        }
    }

    /// <summary>Runs a <see cref="PinGate"/> check; the store it reads failing is an outage like any other.</summary>
    private static async Task AdmitAsync(Func<Task> check) => await Guard("checkpoint memory", async () =>
    {
        await check();
        return 0;
    });

    /// <summary>Saves a pin found in the log; the store is a cache of the log here, so a failed write only costs a later search.</summary>
    private async Task SaveQuietlyAsync(Sighting sighting)
    {
        try
        {
            await SaveAsync(sighting);
        }
        catch (Exception e) when (IsStorageFailure(e))
        {
            Log.IndexWriteFailed(_logger, sighting.Reference, sighting.LogIndex, e.Message);
        }
    }

    /// <summary>
    /// Saves a pin. A write refused because the store already holds this very entry counts as
    /// saved: with a shared store, a replica that found the entry by a log search may store it
    /// while the replica that logged it still holds the tag's lock.
    /// </summary>
    private async Task SaveAsync(Sighting sighting)
    {
        try
        {
            await _index.SaveAsync(sighting, CancellationToken.None);
        }
        catch (Exception e) when (IsStorageFailure(e))
        {
            Sighting? stored = null;
            try
            {
                stored = await _index.FindAsync(sighting.Reference, CancellationToken.None);
            }
            catch (Exception again) when (IsStorageFailure(again) || again is FormatException)
            {
                // The store cannot say: the write failed.
            }

            if (stored is null || stored.LogId != sighting.LogId || stored.LogIndex != sighting.LogIndex)
            {
                throw;
            }
        }
    }

    /// <summary>What a log or index failing to read or write looks like (as opposed to bad data).</summary>
    private static bool IsStorageFailure(Exception e) =>
        e is IOException or UnauthorizedAccessException or InvalidOperationException or TimeoutException or System.Data.Common.DbException;

    private static LedgerDecision Decide(Sighting pin, Observation observed) =>
        new(string.Equals(pin.Digest, observed.Digest, StringComparison.Ordinal) ? PinOutcome.Match : PinOutcome.Mismatch, pin);

    private async Task<(Sighting Pin, bool Recorded)> RecordFirstAsync(Observation observed)
    {
        using var activity = TlogistryTracing.Source.StartActivity("ledger.record", ActivityKind.Internal);
        activity?.SetTag("tlogistry.reference", observed.Reference);

        // Re-check under the single flight: another request may have finished just before.
        var existing = await LookUpAsync(observed.Reference, CancellationToken.None, searchLog: false);
        if (existing is not null)
        {
            return (existing, false);
        }

        // Other processes sharing the store (replicas) have single flights of their own: the
        // store's lock makes the first sighting single-flight across all of them.
        var held = await Guard("tag lock", () => _index.LockTagAsync(observed.Reference, CancellationToken.None));
        try
        {
            // Asked of the store itself: this process's caches cannot know what another
            // replica saved while this one waited for the lock. Then of the log: the store is
            // only its index, and a first sighting is logged only when the log has none either
            // (a store that lost the row must not let the tag be pinned anew). A log that
            // cannot be searched (Rekor v2) leaves the store as the only index.
            var saved = await ReadStoredAsync(observed.Reference, CancellationToken.None)
                ?? await SearchLogAsync(observed.Reference, CancellationToken.None);
            return saved is not null ? (saved, false) : await SignAppendSaveAsync(observed);
        }
        finally
        {
            await ReleaseAsync(held, observed.Reference);
        }
    }

    /// <summary>A lock that cannot be released cleanly is dropped with its connection by the store; the sighting stands.</summary>
    private async Task ReleaseAsync(IAsyncDisposable held, string reference)
    {
        try
        {
            await held.DisposeAsync();
        }
        catch (Exception e) when (IsStorageFailure(e))
        {
            Log.UnlockFailed(_logger, reference, e.Message);
        }
    }

    private async Task<(Sighting Pin, bool Recorded)> SignAppendSaveAsync(Observation observed)
    {
        // Stored before it is sent (or found from an attempt that died after sending it): see TagLedger.Intents.
        var (intent, resent) = await IntentForAsync(observed);
        var envelope = intent.Envelope;

        // A fresh signature cannot be in the log yet, so its entry must lie beyond every tree the
        // store saw. A resent intent may come back as the entry an earlier attempt made, inside
        // such a tree: its envelope, checked below, is what ties that entry to this tag.
        var floor = resent ? 0 : await Guard("checkpoint memory", () => _gate.FloorAsync(CancellationToken.None));
        var entry = await GuardLog("log append", () => _log.AppendAsync(envelope, intent.Signer, CancellationToken.None));
        Sighting sighting;
        try
        {
            // The log's answer is checked like any other: a log that misreports is not trusted.
            sighting = _reader.Read(_reader.Bundle(entry, envelope));
        }
        catch (Exception e) when (e is FormatException or LogVerificationException)
        {
            throw new LedgerIntegrityException($"the log's answer for the new sighting of {observed.Reference} does not verify: {e.Message}", e);
        }

        // Checked before anything counts: a forked tree, a reused index or another log's entry is never pinned.
        await AdmitAsync(() => _gate.AdmitAppendedAsync(sighting, floor, CancellationToken.None));
        Remember(sighting);
        try
        {
            await SaveAsync(sighting);
        }
        catch (Exception e) when (IsStorageFailure(e))
        {
            // The sighting is durable in the log, but no pin lives in memory only: the write is
            // retried by the tag's next request, and nothing is acknowledged until the store holds it.
            _unindexed[sighting.Reference] = sighting;
            _verified.TryRemove(sighting.Reference, out _);
            Log.IndexWriteFailed(_logger, sighting.Reference, sighting.LogIndex, e.Message);
            throw new LedgerUnavailableException(LostPinMessage(sighting, e.Message), e);
        }

        Log.Recorded(_logger, sighting.Reference, sighting.Digest, sighting.LogIndex);

        // An earlier attempt's intent records what that attempt saw: it is the pin, and this request is compared with it.
        return (sighting, sighting.Digest == observed.Digest);
    }

    /// <summary>Retries the store write of a pin only this process holds; until it succeeds the tag is unavailable.</summary>
    private async Task StoreLostPinAsync(Sighting sighting)
    {
        try
        {
            await SaveAsync(sighting);
        }
        catch (Exception e) when (IsStorageFailure(e))
        {
            throw new LedgerUnavailableException(LostPinMessage(sighting, e.Message), e);
        }

        _unindexed.TryRemove(sighting.Reference, out _);
        Remember(sighting);
    }

    private static string LostPinMessage(Sighting sighting, string reason) =>
        $"the sighting of {sighting.Reference} is in the log at index {sighting.LogIndex}, but the store could not save it ({reason}); no pin is served from memory alone, so the tag is served once the store takes it";

    /// <summary>A stored pin counts only if its bundle verifies and says what the row says.</summary>
    private Sighting Verify(Sighting stored)
    {
        Sighting fromBundle;
        try
        {
            fromBundle = _reader.Read(stored.Bundle);
        }
        catch (FormatException e)
        {
            throw new LedgerIntegrityException($"stored sighting of {stored.Reference} holds a bundle that is not ours: {e.Message}", e);
        }
        catch (LogVerificationException e)
        {
            throw new LedgerIntegrityException($"pin for {stored.Reference} does not verify: {e.Message}", e);
        }

        if (fromBundle.Reference != stored.Reference || fromBundle.Digest != stored.Digest)
        {
            throw new LedgerIntegrityException($"stored sighting of {stored.Reference} disagrees with its signed envelope");
        }

        return stored with { LogTime = fromBundle.LogTime };
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Ledger.IndexWriteFailed, Level = LogLevel.Error, Message = "sighting of {Reference} is in the log at index {Index} but the index write failed ({Reason}); the tag answers 503 until the write succeeds")]
        public static partial void IndexWriteFailed(ILogger logger, string reference, long index, string reason);

        [LoggerMessage(EventId = EventIds.Ledger.Recorded, Level = LogLevel.Information, Message = "recorded first sighting {Reference} -> {Digest} at log index {Index}")]
        public static partial void Recorded(ILogger logger, string reference, string digest, long index);

        [LoggerMessage(EventId = EventIds.Ledger.SkippedEntry, Level = LogLevel.Warning, Message = "log entry {Index} ignored while reconciling: {Reason}")]
        public static partial void SkippedEntry(ILogger logger, long index, string reason);

        [LoggerMessage(EventId = EventIds.Ledger.Conflict, Level = LogLevel.Error, Message = "two valid sightings of one tag disagree: {Conflict}")]
        public static partial void Conflict(ILogger logger, string conflict);

        [LoggerMessage(EventId = EventIds.Ledger.UnlockFailed, Level = LogLevel.Warning, Message = "the first-sighting lock of {Reference} could not be released cleanly ({Reason}); its connection is dropped, which releases it")]
        public static partial void UnlockFailed(ILogger logger, string reference, string reason);

        [LoggerMessage(EventId = EventIds.Ledger.DuplicateEntry, Level = LogLevel.Warning, Message = "log entry {Index} is a second sighting of {Reference}, already pinned by entry {Pinned}; the first stays the pin")]
        public static partial void DuplicateEntry(ILogger logger, long index, string reference, long pinned);

        [LoggerMessage(EventId = EventIds.Ledger.StoredPinUnproven, Level = LogLevel.Warning, Message = "stored pin {Reference} (log index {Index}) served without a fresh consistency proof: the log could not give one now")]
        public static partial void StoredPinUnproven(ILogger logger, string reference, long index);
    }
}

/// <summary>
/// The log or the index could not be reached or written: no pin can be checked or made.
/// Unlike <see cref="LedgerIntegrityException"/> this is an outage, not evidence of tampering.
/// </summary>
internal sealed class LedgerUnavailableException : Exception
{
    public LedgerUnavailableException(string message)
        : base(message)
    {
    }

    public LedgerUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public LedgerUnavailableException()
    {
    }
}

/// <summary>The ledger holds data that does not verify: it fails closed rather than guess.</summary>
internal sealed class LedgerIntegrityException : Exception
{
    public LedgerIntegrityException(string message)
        : base(message)
    {
    }

    public LedgerIntegrityException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public LedgerIntegrityException()
    {
    }
}
