using Microsoft.Extensions.Logging;
using Tlogistry.Oci;
using Tlogistry.Store;
using Tlogistry.Telemetry;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Ledger;

/// <summary>
/// Brings the store back in line with the log, which is the source of truth: reconcile (the
/// entries appended but not stored, after a crash between the two), rebuild (every entry of
/// ours from an index on), import (a bundle export, for logs that keep only hashes), and the
/// intents a start finishes. The log decides which sighting is a tag's pin, not the store.
/// </summary>
internal sealed partial class LedgerRecovery
{
    private const int ResumePage = 100;

    private readonly ISightingIndex _store;
    private readonly ITransparencyLog _log;
    private readonly SightingReader _reader;
    private readonly LogRecordReader _records;
    private readonly VerifiedPins _verified;
    private readonly LedgerFindings _findings;
    private readonly ILogger _logger;
    private readonly ReconciledMark _mark;
    private readonly LogHistory? _history;

    public LedgerRecovery(ISightingIndex store, ITransparencyLog log, SightingReader reader, LogRecordReader records, VerifiedPins verified, LedgerFindings findings, ReconciledMark mark, LogHistory? history, ILogger logger)
    {
        _mark = mark;
        _history = history;
        _store = store;
        _log = log;
        _reader = reader;
        _records = records;
        _verified = verified;
        _findings = findings;
        _logger = logger;
    }

    /// <inheritdoc cref="TagLedger.ReconcileAsync"/>
    public async Task<int> ReconcileAsync(CancellationToken cancellationToken)
    {
        // From the store's mark, not from 0: only the rows since are counted, and only the
        // entries from the first one the store lacks are read. A mark beyond the log's size is
        // not believed; without a log history (a ledger built by hand) that size is not known.
        var size = _history is null ? long.MaxValue : (await _history.CurrentAsync(cancellationToken)).Checkpoint.Size;
        var from = await _mark.FirstUnreadAsync(size, cancellationToken);
        var (added, firstNotHeld, end) = await IndexFromAsync(from, null, cancellationToken);

        // An entry read but not held (one that does not verify; a second sighting of a tag, from
        // its tag's earlier one) is where the next start reads from again, as it would without a
        // mark; the mark follows new entries only when none is left behind.
        await _mark.StartAsync(firstNotHeld ?? end, following: firstNotHeld is null, cancellationToken);
        return added;
    }

    /// <inheritdoc cref="TagLedger.RebuildAsync"/>
    public async Task<int> RebuildAsync(long from, IProgress<long>? progress, CancellationToken cancellationToken) =>
        (await IndexFromAsync(from, progress, cancellationToken)).Added;

    /// <summary>Indexes the log's entries from <paramref name="from"/>; returns how many were added, the first one read that the store does not hold, and the index after the last one read.</summary>
    private async Task<(int Added, long? FirstNotHeld, long End)> IndexFromAsync(long from, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var added = 0;
        long? firstNotHeld = null;
        var end = from;
        await foreach (var record in _log.ReadFromAsync(from, _reader.SearchKeys, cancellationToken))
        {
            var index = record.Entry.LogIndex;
            progress?.Report(index);
            end = Math.Max(end, index + 1);
            long? readAgainFrom = index;
            if (!_records.TryRead(record, out var sighting, out var reason))
            {
                _findings.Unverified(index, reason);
            }
            else
            {
                var (outcome, pin) = await IndexAsync(sighting, cancellationToken);
                added += outcome == Indexed.Added ? 1 : 0;

                // A later sighting of a pinned tag is read again from its earlier one: were the
                // store's row moved to the later entry, that start finds the earlier one missing
                // and puts it back, as a start without a mark does.
                readAgainFrom = outcome != Indexed.NotHeld ? null : pin is { } earlier && earlier.LogId == sighting.LogId ? Math.Min(index, earlier.LogIndex) : index;
            }

            if (readAgainFrom is { } again)
            {
                firstNotHeld = Math.Min(firstNotHeld ?? again, again);
            }
        }

        return (added, firstNotHeld, end);
    }

    /// <inheritdoc cref="TagLedger.ImportAsync"/>
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
                _records.Skipped(bundle.Entry.LogIndex, e.Message);
                _findings.Unverified(bundle.Entry.LogIndex, e.Message);
                continue;
            }

            if ((await IndexAsync(sighting, cancellationToken)).Outcome == Indexed.Added)
            {
                added++;
            }
        }

        return added;
    }

    /// <summary>
    /// Finishes every stored intent whose tag has no pin (the start after a crash between the
    /// log and the store): a log with a search is searched for it (the embedded log's start has
    /// reconciled already); to a log without one (Rekor v2) it is sent again through the
    /// ordinary first-sighting path (<paramref name="observe"/>): its lock, the store asked
    /// first, then the same intent. Returns how many were resumed; one that fails now is left
    /// for the next request for its tag, and an outage ends the round (the start goes on;
    /// requests send their tags' intents).
    /// </summary>
    /// <param name="findPin">The ledger's pin lookup (store, then log search).</param>
    /// <param name="observe">The ledger's decision for an observation.</param>
    public async Task<int> ResumeIntentsAsync(
        Func<TagReference, CancellationToken, Task<Sighting?>> findPin, Func<Observation, CancellationToken, Task<LedgerDecision>> observe, CancellationToken cancellationToken)
    {
        var resumed = 0;
        for (long? after = 0; after is long position;)
        {
            var page = await LedgerGuard.Store("intent listing", () => _store.ListIntentsAsync(position, ResumePage, unpinnedOnly: true, cancellationToken));
            foreach (var intent in page.Intents)
            {
                SightingClaim claim;
                try
                {
                    claim = SightingStatement.Decode(intent.Envelope.Payload);
                }
                catch (FormatException e)
                {
                    Log.IntentNotResumed(_logger, intent.Reference.Canonical, e.Message);
                    continue;
                }

                try
                {
                    // A log with a search says whether the intent reached it: found, it is the pin;
                    // absent, nothing was logged, and only a request for the tag logs it. A log
                    // without one can only be asked by sending the intent again.
                    if (_log.FindsLostPins)
                    {
                        resumed += await findPin(intent.Reference, cancellationToken) is null ? 0 : 1;
                    }
                    else
                    {
                        await observe(new Observation(intent.Reference, claim.Digest, claim.MediaType, claim.Upstream), cancellationToken);
                        resumed++;
                    }
                }
                catch (LedgerIntegrityException e)
                {
                    Log.IntentNotResumed(_logger, intent.Reference.Canonical, e.Message);
                }
                catch (LedgerUnavailableException e)
                {
                    // The log or the store is out: the rest would only wait for it too, and delay the start.
                    Log.IntentNotResumed(_logger, intent.Reference.Canonical, e.Message);
                    return resumed;
                }
            }

            after = page.Next;
        }

        return resumed;
    }

    /// <summary>What indexing one entry did: stored it, found it stored already, or left it out.</summary>
    private enum Indexed
    {
        Added,
        Held,
        NotHeld,
    }

    /// <summary>
    /// Stores a verified sighting unless its tag is pinned already by the same or an earlier
    /// one. The log decides, not the store: a sighting the log holds before the stored pin
    /// replaces it (a store that lost the earlier row and took a later one is corrected).
    /// Two that disagree are reported either way.
    /// </summary>
    /// <returns>What was done, and the tag's pin when that stays another entry.</returns>
    private async Task<(Indexed Outcome, Sighting? Pin)> IndexAsync(Sighting sighting, CancellationToken cancellationToken)
    {
        var existing = await _store.FindAsync(sighting.Reference, cancellationToken);
        if (existing is null)
        {
            await _store.SaveAsync(sighting, cancellationToken);
            return (Indexed.Added, null);
        }

        if (existing.LogIndex == sighting.LogIndex && existing.LogId == sighting.LogId)
        {
            return (Indexed.Held, null);
        }

        var earlier = SightingOrder.Precedes(sighting, existing);
        var (first, later) = earlier ? (sighting, existing) : (existing, sighting);
        if (first.Digest != later.Digest)
        {
            _findings.Conflict(first, later);
        }
        else
        {
            Log.DuplicateEntry(_logger, later.LogIndex, sighting.Reference.Canonical, first.LogIndex);
        }

        if (!earlier)
        {
            return (Indexed.NotHeld, existing);
        }

        await _store.ReplaceAsync(existing, sighting, cancellationToken);
        _verified.Forget(sighting.Reference);
        return (Indexed.Added, null);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Ledger.DuplicateEntry, Level = LogLevel.Warning, Message = "log entry {Index} is a second sighting of {Reference}, already pinned by entry {Pinned}; the first stays the pin")]
        public static partial void DuplicateEntry(ILogger logger, long index, string reference, long pinned);

        [LoggerMessage(EventId = EventIds.Ledger.IntentNotResumed, Level = LogLevel.Warning, Message = "the intent of {Reference} was not resumed at start ({Reason}); the next request for the tag sends it")]
        public static partial void IntentNotResumed(ILogger logger, string reference, string reason);
    }
}
