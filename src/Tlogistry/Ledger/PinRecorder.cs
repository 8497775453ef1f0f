using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Tlogistry.Oci;
using Tlogistry.Store;
using Tlogistry.Telemetry;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Ledger;

/// <summary>
/// Records a first sighting: under the store's tag lock (replicas) and with the store and the
/// log asked once more, the tag's intent (<see cref="WriteAheadIntents"/>) is appended to the
/// log, the log's answer verified like any other bundle and admitted by the <see cref="PinGate"/>,
/// and the pin saved. Called once per tag at a time, under the ledger's single flight.
/// </summary>
internal sealed partial class PinRecorder
{
    private readonly ISightingIndex _store;
    private readonly ITransparencyLog _log;
    private readonly SightingReader _reader;
    private readonly PinGate _gate;
    private readonly PinLookup _lookup;
    private readonly WriteAheadIntents _intents;
    private readonly VerifiedPins _verified;
    private readonly PinWriter _writer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public PinRecorder(ISightingIndex store, ITransparencyLog log, SightingReader reader, PinGate gate, PinLookup lookup, WriteAheadIntents intents, VerifiedPins verified, PinWriter writer, TimeProvider time, ILogger logger)
    {
        _time = time;
        _store = store;
        _log = log;
        _reader = reader;
        _gate = gate;
        _lookup = lookup;
        _intents = intents;
        _verified = verified;
        _writer = writer;
        _logger = logger;
    }

    /// <summary>The tag's pin, and whether this call recorded it (false: one was found after all).</summary>
    public async Task<(Sighting Pin, bool Recorded)> RecordFirstAsync(Observation observed)
    {
        using var activity = TlogistryTracing.Source.StartActivity("ledger.record", ActivityKind.Internal);
        activity?.SetTag("tlogistry.reference", observed.Reference.Canonical);

        // Re-check under the single flight: another request of this process may have finished
        // just before (and left its pin in memory). What another replica did, or a pin this
        // process has forgotten, is read from the store under the lock below.
        var existing = await _lookup.FindKnownAsync(observed.Reference);
        if (existing is not null)
        {
            return (existing, false);
        }

        // Other processes sharing the store (replicas) have single flights of their own: the
        // store's lock makes the first sighting single-flight across all of them.
        var held = await LedgerGuard.Store("tag lock", () => _store.LockTagAsync(observed.Reference, CancellationToken.None));
        try
        {
            // Asked of the store itself: this process's caches cannot know what another
            // replica saved while this one waited for the lock. Then of the log: the store is
            // only an index of it, and a first sighting is logged only when the log has none either
            // (a store that lost the row must not let the tag be pinned anew). A log that
            // cannot be searched (Rekor v2) leaves the store as the only index.
            var saved = await _lookup.ReadStoredAsync(observed.Reference, CancellationToken.None)
                ?? await _lookup.SearchLogAsync(observed.Reference, CancellationToken.None);
            return saved is not null ? (saved, false) : await SignAppendSaveAsync(observed);
        }
        finally
        {
            await ReleaseAsync(held, observed.Reference);
        }
    }

    /// <summary>A lock that cannot be released cleanly is dropped with its connection by the store; the sighting stands.</summary>
    private async Task ReleaseAsync(IAsyncDisposable held, TagReference reference)
    {
        try
        {
            await held.DisposeAsync();
        }
        catch (Exception e) when (LedgerGuard.IsStorageFailure(e))
        {
            Log.UnlockFailed(_logger, reference.Canonical, e.Message);
        }
    }

    private async Task<(Sighting Pin, bool Recorded)> SignAppendSaveAsync(Observation observed)
    {
        // Stored before it is sent (or found from an attempt that died after sending it).
        var (intent, resent) = await _intents.ForAsync(observed);
        var envelope = intent.Envelope;

        // A fresh signature cannot be in the log yet, so its entry must lie beyond every tree the
        // store saw. A resent intent may come back as the entry an earlier attempt made, inside
        // such a tree: its envelope, checked below, is what ties that entry to this tag.
        var floor = resent ? 0 : await LedgerGuard.Store("checkpoint memory", () => _gate.FloorAsync(CancellationToken.None));
        var entry = await LedgerGuard.Log("log append", () => _log.AppendAsync(envelope, intent.Signer, CancellationToken.None));
        Sighting sighting;
        var verifiedAt = _time.GetUtcNow();
        try
        {
            // The log's answer is checked like any other: a log that misreports is not trusted.
            var bundle = _reader.Bundle(entry, envelope);
            sighting = _reader.Read(bundle with { Material = bundle.Material with { Rfc3161Timestamps = intent.Timestamps } });
        }
        catch (Exception e) when (e is FormatException or LogVerificationException)
        {
            throw new LedgerIntegrityException($"the log's answer for the new sighting of {observed.Reference} does not verify: {e.Message}", e);
        }

        // Checked before anything counts: a forked tree, a reused index or another log's entry is never pinned.
        await LedgerGuard.Admit(() => _gate.AdmitAppendedAsync(sighting, floor, CancellationToken.None));
        _verified.Remember(sighting);
        await _writer.SaveAppendedAsync(sighting, verifiedAt);
        Log.Recorded(_logger, sighting.Reference.Canonical, sighting.Digest.ToString(), sighting.LogIndex);

        // An earlier attempt's intent records what that attempt saw: it is the pin, and this request is compared with it.
        return (sighting, sighting.Digest == observed.Digest);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Ledger.Recorded, Level = LogLevel.Information, Message = "recorded first sighting {Reference} -> {Digest} at log index {Index}")]
        public static partial void Recorded(ILogger logger, string reference, string digest, long index);

        [LoggerMessage(EventId = EventIds.Ledger.UnlockFailed, Level = LogLevel.Warning, Message = "the first-sighting lock of {Reference} could not be released cleanly ({Reason}); its connection is dropped, which releases it")]
        public static partial void UnlockFailed(ILogger logger, string reference, string reason);
    }
}
