using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Tlogistry.Oci;
using Tlogistry.Signing;
using Tlogistry.Store;
using Tlogistry.Telemetry;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Ledger;

/// <summary>
/// The tag ledger: the only place that decides whether an observed digest is served. A tag's
/// pin is looked up (<see cref="PinLookup"/>: verified-pin cache, store, log search); a tag
/// with none is recorded (<see cref="PinRecorder"/>) under a single flight per tag, so
/// concurrent requests share one sign → append → save, and processes sharing the store take
/// its tag lock around it: one tag gets exactly one log entry. <see cref="LedgerRecovery"/>
/// brings the store back to the log.
/// </summary>
internal sealed class TagLedger
{
    private readonly VerifiedPins _verified;
    private readonly LedgerFindings _findings;
    private readonly PinLookup _lookup;
    private readonly PinRecorder _recorder;
    private readonly LedgerRecovery _recovery;
    private readonly TlogistryMetrics? _metrics;
    private readonly ConcurrentDictionary<TagReference, Lazy<Task<(Sighting Pin, bool Recorded)>>> _inFlight = new();

    /// <param name="verified">What this process has verified; its default bounds suit a service.</param>
    /// <param name="stampKey">Stamps verified rows in the store, so later processes trust them without verifying them again; none when null.</param>
    /// <param name="markStep">How many saved entries move the store's reconciled mark between its writes.</param>
    public TagLedger(ISightingIndex store, ITransparencyLog log, IEnvelopeSigner signer, SightingReader reader, TimeProvider time, ILogger<TagLedger> logger, TlogistryMetrics? metrics = null, LogHistory? history = null, VerifiedPins? verified = null, StampKey? stampKey = null, int markStep = ReconciledMark.Step)
    {
        _verified = verified ?? new VerifiedPins();
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(log);
        Identity = reader.Identity;

        // Optional: a ledger built by hand (tools, tests) needs no meter, nor a memory of the log's checkpoints.
        _metrics = metrics;
        var gate = new PinGate(log.LogId, history);
        var records = new LogRecordReader(reader, logger);
        var stamps = stampKey is null ? null : new VerificationStamps(stampKey.Secret, StampTerms(reader, log, history), reader.ValidityEnds);
        var mark = new ReconciledMark(store, Convert.ToHexStringLower(log.LogId), logger, markStep);
        var writer = new PinWriter(store, _verified, logger, stamps, mark);
        _findings = new LedgerFindings(logger);
        _lookup = new PinLookup(store, log, reader, records, gate, _verified, writer, _findings, time, logger, stamps, metrics);
        var intents = new WriteAheadIntents(store, log, signer, reader.Identity, time, logger);
        _recorder = new PinRecorder(store, log, reader, gate, _lookup, intents, _verified, writer, time, logger);
        _recovery = new LedgerRecovery(store, log, reader, records, _verified, _findings, mark, history, logger);
    }

    /// <summary>What a stamp vouches under: the reader's terms, the configured log and the log whose checkpoints are remembered.</summary>
    private static IEnumerable<byte[]> StampTerms(SightingReader reader, ITransparencyLog log, LogHistory? history) =>
        [.. reader.Terms(), log.LogId, System.Text.Encoding.UTF8.GetBytes(history?.Description ?? "")];

    /// <summary>Tags for which reconcile, rebuild or import met two valid sightings of ours with different digests.</summary>
    public IReadOnlyCollection<string> Conflicts => _findings.Conflicts;

    /// <summary>How many conflicts were met; <see cref="Conflicts"/> keeps the first <see cref="LedgerFindings.Kept"/>.</summary>
    public long ConflictCount => _findings.ConflictCount;

    /// <summary>
    /// Entries that rebuild or import read but could not verify as sightings of a signer that
    /// counts (a key not configured, say): each is a sighting the store may now lack.
    /// </summary>
    public IReadOnlyCollection<string> Unverifiable => _findings.Unverifiable;

    /// <summary>How many entries could not be verified; <see cref="Unverifiable"/> keeps the first <see cref="LedgerFindings.Kept"/>.</summary>
    public long UnverifiableCount => _findings.UnverifiableCount;

    /// <summary>Stored pins this process trusted by their verification stamp.</summary>
    public long StoredPinsTrustedByStamp => _lookup.TrustedByStamp;

    /// <summary>Stored pins this process verified in full.</summary>
    public long StoredPinsVerifiedInFull => _lookup.VerifiedInFull;

    /// <summary>The identity new sightings record.</summary>
    public string Identity { get; }

    public async Task<LedgerDecision> ObserveAsync(Observation observed, CancellationToken cancellationToken)
    {
        using var activity = TlogistryTracing.Source.StartActivity("ledger.observe", ActivityKind.Internal);
        activity?.SetTag("tlogistry.reference", observed.Reference.Canonical);
        activity?.SetTag("tlogistry.digest", observed.Digest.ToString());
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
            return LedgerDecision.Compare(pin, observed);
        }

        var mine = new Lazy<Task<(Sighting Pin, bool Recorded)>>(() => _recorder.RecordFirstAsync(observed));
        var shared = _inFlight.GetOrAdd(observed.Reference, mine);
        try
        {
            // The shared task is not tied to one client's cancellation: others wait on it too.
            var (sighting, recorded) = await shared.Value.WaitAsync(cancellationToken);
            return recorded && ReferenceEquals(shared, mine) ? new LedgerDecision(PinOutcome.FirstSeen, sighting) : LedgerDecision.Compare(sighting, observed);
        }
        finally
        {
            if (ReferenceEquals(shared, mine))
            {
                _inFlight.TryRemove(new KeyValuePair<TagReference, Lazy<Task<(Sighting, bool)>>>(observed.Reference, mine));
            }
        }
    }

    /// <summary>The pin of a tag if it is verified and in memory; no store or log is asked.</summary>
    public Sighting? CachedPin(TagReference reference) => _verified.TryGet(reference, out var pin) ? pin : null;

    /// <summary>The verified pin for a tag reference, or null when the tag has never been seen.</summary>
    public Task<Sighting?> FindPinAsync(TagReference reference, CancellationToken cancellationToken)
    {
        // Counted here, once per caller's question: the re-check under a first sighting's
        // single flight is the same question asked again.
        var hit = _verified.TryGet(reference, out var cached);
        _metrics?.CacheLookup("pin", hit);
        return hit ? Task.FromResult<Sighting?>(cached) : _lookup.FindAsync(reference, cancellationToken);
    }

    /// <summary>
    /// Brings the store up to the log: entries appended but not stored (a crash between the
    /// two) are stored now, since the log is the source of truth. Only the log's entries from
    /// the store's <see cref="ReconciledMark"/> on are looked at, and the mark then follows the
    /// entries this ledger saves.
    /// </summary>
    public Task<int> ReconcileAsync(CancellationToken cancellationToken) => _recovery.ReconcileAsync(cancellationToken);

    /// <summary>
    /// Stores every valid sighting of ours that the log lists from <paramref name="from"/> on;
    /// <paramref name="progress"/> hears of each entry read. A log that keeps only hashes
    /// (Rekor v2, <see cref="ITransparencyLog.FindsLostPins"/> false) yields no sightings: import a bundle export instead.
    /// </summary>
    public Task<int> RebuildAsync(long from, IProgress<long>? progress, CancellationToken cancellationToken) =>
        _recovery.RebuildAsync(from, progress, cancellationToken);

    /// <summary>Imports bundles (an export): each must verify as a sighting of ours; returns how many were new.</summary>
    public Task<int> ImportAsync(IAsyncEnumerable<SigstoreBundle> bundles, IProgress<long>? progress, CancellationToken cancellationToken) =>
        _recovery.ImportAsync(bundles, progress, cancellationToken);

    /// <summary>Finishes the stored intents whose tag has no pin (see <see cref="LedgerRecovery.ResumeIntentsAsync"/>).</summary>
    public Task<int> ResumeIntentsAsync(CancellationToken cancellationToken) =>
        _recovery.ResumeIntentsAsync(FindPinAsync, ObserveAsync, cancellationToken);
}
