using Microsoft.Extensions.Logging;
using Tlogistry.Oci;
using Tlogistry.Store;
using Tlogistry.Telemetry;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Ledger;

/// <summary>
/// Finds a tag's pin: the verified-pin cache, then a lost pin of this process (saved first),
/// then the store (its bundle verified and its checkpoint admitted), then a log search. Every
/// pin it returns has been verified once and is cached.
/// </summary>
internal sealed partial class PinLookup
{
    private readonly ISightingIndex _store;
    private readonly ITransparencyLog _log;
    private readonly SightingReader _reader;
    private readonly LogRecordReader _records;
    private readonly PinGate _gate;
    private readonly VerifiedPins _verified;
    private readonly PinWriter _writer;
    private readonly LedgerFindings _findings;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly VerificationStamps? _stamps;
    private readonly StampWriter? _stampWriter;
    private readonly TlogistryMetrics? _metrics;
    private long _trustedByStamp;
    private long _verifiedInFull;

    /// <param name="stamps">Stored rows stamped by this instance are trusted without verifying them again; none when null.</param>
    public PinLookup(ISightingIndex store, ITransparencyLog log, SightingReader reader, LogRecordReader records, PinGate gate, VerifiedPins verified, PinWriter writer, LedgerFindings findings, TimeProvider time, ILogger logger, VerificationStamps? stamps = null, TlogistryMetrics? metrics = null)
    {
        _metrics = metrics;
        _time = time;
        _stamps = stamps;
        _stampWriter = stamps is null ? null : new StampWriter(store, logger);
        _store = store;
        _log = log;
        _reader = reader;
        _records = records;
        _gate = gate;
        _verified = verified;
        _writer = writer;
        _findings = findings;
        _logger = logger;
    }

    /// <summary>Stored pins read and trusted by their stamp, without verifying their bundle.</summary>
    public long TrustedByStamp => Interlocked.Read(ref _trustedByStamp);

    /// <summary>Stored pins read and verified in full (bundle, signer, checkpoint).</summary>
    public long VerifiedInFull => Interlocked.Read(ref _verifiedInFull);

    public async Task<Sighting?> FindAsync(TagReference reference, CancellationToken cancellationToken) =>
        await FindKnownAsync(reference) ?? await ReadStoredAsync(reference, cancellationToken) ?? await SearchLogAsync(reference, cancellationToken);

    /// <summary>
    /// The pin this process knows without asking the store or the log: verified in memory, or
    /// lost by the store and saved now (no pin is served from memory alone: a lost one counts
    /// once the store holds it). For a re-check that a store read and a log search under the
    /// tag's lock follow anyway.
    /// </summary>
    public async Task<Sighting?> FindKnownAsync(TagReference reference) =>
        _verified.TryGet(reference, out var cached) ? cached : await _writer.RetryLostAsync(reference);

    /// <summary>The store's pin for a tag, verified and cached; null when the store has none.</summary>
    public async Task<Sighting?> ReadStoredAsync(TagReference reference, CancellationToken cancellationToken)
    {
        StoredPin? stored;
        try
        {
            stored = await LedgerGuard.Store("index lookup", () => _store.FindStoredAsync(reference, cancellationToken));
        }
        catch (FormatException e)
        {
            throw new LedgerIntegrityException($"stored sighting of {reference} is not a readable bundle: {e.Message}", e);
        }

        if (stored is null)
        {
            return null;
        }

        // The very row this process verified before for this tag (its content, reference column
        // included, is what was checked).
        if (_verified.Rows.TryGet(reference, stored.Content, out var logTime))
        {
            var known = stored.Pin with { LogTime = logTime };
            _verified.Remember(known);
            return known;
        }

        // A row this instance verified before, in another process: its stamp says so.
        var now = _time.GetUtcNow();
        if (_stamps is { } stamps && stamps.TryOpen(stored.Stamp, stored.ContentHash, now, out var stampedTime))
        {
            Interlocked.Increment(ref _trustedByStamp);
            _metrics?.StoredPinRead(stamped: true);
            var known = stored.Pin with { LogTime = stampedTime };
            _verified.Rows.Remember(reference, stored.Content, stampedTime);
            _verified.Remember(known);
            return known;
        }

        Interlocked.Increment(ref _verifiedInFull);
        _metrics?.StoredPinRead(stamped: false);
        var pin = Verify(stored.Pin);
        var proven = false;
        await LedgerGuard.Admit(async () => proven = await _gate.AdmitStoredAsync(pin, cancellationToken));
        if (!proven)
        {
            Log.StoredPinUnproven(_logger, reference.Canonical, pin.LogIndex);
        }
        else
        {
            _verified.Rows.Remember(reference, stored.Content, pin.LogTime);
            if (_stamps is { } own && own.MayReplace(stored.Stamp))
            {
                _stampWriter!.Enqueue(reference, own.Seal(stored.ContentHash, pin.LogTime, now));
            }
        }

        _verified.Remember(pin);
        return pin;
    }

    /// <summary>
    /// A tag the store does not know may still be pinned in a log with a search (the embedded
    /// log, Rekor v1): the earliest valid sighting of ours found there is the pin, and goes back
    /// into the store; a later one that disagrees is reported as a conflict.
    /// </summary>
    public async Task<Sighting?> SearchLogAsync(TagReference reference, CancellationToken cancellationToken)
    {
        var found = new List<Sighting>();
        await LedgerGuard.Log("log search", async () =>
        {
            foreach (var key in _reader.SearchKeys)
            {
                await foreach (var record in _log.SearchAsync(reference.Canonical, key, cancellationToken))
                {
                    if (_records.TryRead(record, out var sighting, out _) && sighting.Reference == reference && !found.Exists(f => f.LogIndex == sighting.LogIndex && f.LogId == sighting.LogId))
                    {
                        if (_gate.Refusal(sighting) is { } why)
                        {
                            _records.Skipped(sighting.LogIndex, why);
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
            _findings.Conflict(pin, other);
        }

        await LedgerGuard.Admit(() => _gate.AdmitAsync(pin, cancellationToken));
        await _writer.SaveQuietlyAsync(pin);
        _verified.Remember(pin);
        return pin;
    }

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
        [LoggerMessage(EventId = EventIds.Ledger.StoredPinUnproven, Level = LogLevel.Warning, Message = "stored pin {Reference} (log index {Index}) served without a fresh consistency proof: the log could not give one now")]
        public static partial void StoredPinUnproven(ILogger logger, string reference, long index);
    }
}
