using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Tlogistry.Signing;
using Tlogistry.Transparency;

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
/// requests share one sign → append → index, so one tag gets exactly one log entry.
/// </summary>
internal sealed partial class TagLedger
{
    private readonly ISightingIndex _index;
    private readonly ITransparencyLog _log;
    private readonly InstanceKey _key;
    private readonly TimeProvider _time;
    private readonly ILogger<TagLedger> _logger;
    private const int VerifiedCapacity = 100_000;
    private readonly ConcurrentDictionary<string, Sighting> _verified = new(StringComparer.Ordinal);

    // Pins in the log whose index write failed: never evicted, or the tag could be logged twice.
    private readonly ConcurrentDictionary<string, Sighting> _unindexed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<(Sighting Pin, bool Recorded)>>> _inFlight = new(StringComparer.Ordinal);

    public TagLedger(ISightingIndex index, ITransparencyLog log, InstanceKey key, TimeProvider time, ILogger<TagLedger> logger)
    {
        _index = index;
        _log = log;
        _key = key;
        _time = time;
        _logger = logger;
    }

    public string Identity => _key.Identity;

    public async Task<LedgerDecision> ObserveAsync(Observation observed, CancellationToken cancellationToken)
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

    /// <summary>The verified pin for a tag reference, or null when the tag has never been seen.</summary>
    public async Task<Sighting?> FindPinAsync(string reference, CancellationToken cancellationToken)
    {
        if (_verified.TryGetValue(reference, out var cached) || _unindexed.TryGetValue(reference, out cached))
        {
            return cached;
        }

        var stored = await Guard("index lookup", () => _index.FindAsync(reference, cancellationToken));
        if (stored is null)
        {
            return null;
        }

        await VerifyAsync(stored, cancellationToken);
        Remember(stored);
        return stored;
    }

    /// <summary>
    /// Brings the index up to the log: entries appended but not indexed (a crash between the
    /// two) are indexed now, since the log is the source of truth.
    /// </summary>
    public async Task<int> ReconcileAsync(CancellationToken cancellationToken)
    {
        // Not from the highest indexed entry: concurrent first sightings append in log order
        // but write the index in any order, so a crash can leave a hole below a later row.
        var from = await _index.FirstUnindexedAsync(cancellationToken);
        var added = 0;
        await foreach (var logged in _log.ReadFromAsync(from, cancellationToken))
        {
            Sighting sighting;
            try
            {
                sighting = FromEnvelope(logged);
            }
            catch (FormatException e)
            {
                Log.SkippedEntry(_logger, logged.Entry.Index, e.Message);
                continue;
            }

            var existing = await _index.FindAsync(sighting.Reference, cancellationToken);
            if (existing is not null)
            {
                // Past a hole, most entries are indexed already; only another entry for the tag is news.
                if (existing.Entry.Index != logged.Entry.Index)
                {
                    Log.DuplicateEntry(_logger, logged.Entry.Index, sighting.Reference, existing.Entry.Index);
                }

                continue;
            }

            await _index.SaveAsync(sighting, cancellationToken);
            added++;
        }

        return added;
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

    /// <summary>What a log or index failing to read or write looks like (as opposed to bad data).</summary>
    private static bool IsStorageFailure(Exception e) =>
        e is IOException or UnauthorizedAccessException or InvalidOperationException or System.Data.Common.DbException;

    private static LedgerDecision Decide(Sighting pin, Observation observed) =>
        new(string.Equals(pin.Digest, observed.Digest, StringComparison.Ordinal) ? PinOutcome.Match : PinOutcome.Mismatch, pin);

    private async Task<(Sighting Pin, bool Recorded)> RecordFirstAsync(Observation observed)
    {
        // Re-check under the single flight: another request may have finished just before.
        var existing = await FindPinAsync(observed.Reference, CancellationToken.None);
        if (existing is not null)
        {
            return (existing, false);
        }

        var claim = new SightingClaim(observed.Reference, observed.Digest, observed.MediaType, _time.GetUtcNow(), observed.Upstream, _key.Identity);
        var envelope = _key.SignEnvelope(Dsse.InTotoPayloadType, SightingStatement.Encode(claim)).ToJson();
        var entry = await Guard("log append", () => _log.AppendAsync(envelope, CancellationToken.None));
        var sighting = new Sighting(claim.Reference, claim.Digest, claim.MediaType, claim.ObservedAt, claim.Upstream, claim.Identity, entry, envelope);

        Remember(sighting);
        try
        {
            await _index.SaveAsync(sighting, CancellationToken.None);
        }
        catch (Exception e) when (IsStorageFailure(e))
        {
            // The sighting is durable in the log, the source of truth: the pin holds in memory
            // now and the next start indexes it from the log.
            _unindexed[sighting.Reference] = sighting;
            Log.IndexWriteFailed(_logger, sighting.Reference, entry.Index, e.Message);
        }

        Log.Recorded(_logger, sighting.Reference, sighting.Digest, entry.Index);
        return (sighting, true);
    }

    private async Task VerifyAsync(Sighting stored, CancellationToken cancellationToken)
    {
        Sighting fromEnvelope;
        try
        {
            fromEnvelope = FromEnvelope(new LoggedEnvelope(stored.Entry, stored.Envelope));
        }
        catch (FormatException e)
        {
            throw new LedgerIntegrityException($"index entry for {stored.Reference} holds an envelope that is not ours: {e.Message}", e);
        }

        if (fromEnvelope.Reference != stored.Reference || fromEnvelope.Digest != stored.Digest)
        {
            throw new LedgerIntegrityException($"index entry for {stored.Reference} disagrees with its signed envelope");
        }

        try
        {
            await _log.VerifyAsync(stored.Entry, stored.Envelope, cancellationToken);
        }
        catch (LogVerificationException e)
        {
            throw new LedgerIntegrityException($"pin for {stored.Reference} does not verify against the log: {e.Message}", e);
        }
    }

    /// <summary>Reads a sighting out of a logged envelope, checking that we signed it.</summary>
    private Sighting FromEnvelope(LoggedEnvelope logged)
    {
        var envelope = DsseEnvelope.Parse(logged.Envelope);
        if (envelope.PayloadType != Dsse.InTotoPayloadType)
        {
            throw new FormatException("envelope payload type is " + envelope.PayloadType);
        }

        if (!EnvelopeVerifier.Verify(envelope, _key.PublicKeyDer))
        {
            throw new FormatException("envelope is not signed by this instance's key");
        }

        var claim = SightingStatement.Decode(envelope.Payload);
        if (claim.Identity != _key.Identity)
        {
            throw new FormatException("statement names another instance: " + claim.Identity);
        }

        return new Sighting(claim.Reference, claim.Digest, claim.MediaType, claim.ObservedAt, claim.Upstream, claim.Identity, logged.Entry, logged.Envelope);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "sighting of {Reference} is in the log at index {Index} but the index write failed ({Reason}); it will be indexed from the log at the next start")]
        public static partial void IndexWriteFailed(ILogger logger, string reference, long index, string reason);

        [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "recorded first sighting {Reference} -> {Digest} at log index {Index}")]
        public static partial void Recorded(ILogger logger, string reference, string digest, long index);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "log entry {Index} ignored while reconciling: {Reason}")]
        public static partial void SkippedEntry(ILogger logger, long index, string reason);

        [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "log entry {Index} is a second sighting of {Reference}, already pinned by entry {Pinned}; the first stays the pin")]
        public static partial void DuplicateEntry(ILogger logger, long index, string reference, long pinned);
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
