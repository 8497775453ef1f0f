using Tlogistry.Store;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Witness;

namespace Tlogistry.Ledger;

/// <summary>
/// What a verified sighting must also be before the ledger takes it from the log or the
/// store, whatever the log signs with its own key. A new pin (the log's answer to an append,
/// or a search hit) is an entry of the configured log, signed by our identity (never a legacy
/// statement, which nothing signs), whose index lies beyond every tree of that log this store
/// saw before the append, and whose checkpoint extends the remembered one. A stored pin of the
/// configured log read on a cold cache is held to the remembered checkpoint too. Lies are
/// <see cref="LedgerIntegrityException"/>s, a log that cannot prove consistency now is an outage.
/// </summary>
internal sealed class PinGate(byte[] logId, LogHistory? history)
{
    private readonly string _logId = Convert.ToHexStringLower(logId);

    /// <summary>The smallest index an entry appended from now on may have: the remembered tree size.</summary>
    public async Task<long> FloorAsync(CancellationToken cancellationToken) =>
        history is null ? 0 : await history.RememberedSizeAsync(cancellationToken);

    /// <summary>Why a search hit cannot become a pin, or null when it can (its checkpoint is checked by <see cref="AdmitAsync"/>).</summary>
    public string? Refusal(Sighting sighting)
    {
        ArgumentNullException.ThrowIfNull(sighting);
        if (sighting.LogId != _logId)
        {
            return $"it is an entry of log {sighting.LogId}, not of the configured log {_logId}; other trusted logs only verify pins already stored";
        }

        return SightingReader.IsUnsigned(sighting)
            ? "it is an unsigned legacy statement, which only an import or a stored pin may hold"
            : null;
    }

    /// <summary>The log's answer to our append: a candidate pin, with the floor read before the append.</summary>
    public async Task AdmitAppendedAsync(Sighting sighting, long floor, CancellationToken cancellationToken)
    {
        if (Refusal(sighting) is { } why)
        {
            throw new LedgerIntegrityException($"the log's answer for the new sighting of {sighting.Reference} is refused: {why}");
        }

        var proven = sighting.Bundle.Entry.InclusionProof!.LogIndex;
        if (sighting.LogIndex < floor || proven < floor)
        {
            // A new entry cannot sit inside a tree this store already saw: that index belongs to
            // another entry (possibly a stored pin, whose row the answer would collide with).
            throw new LedgerIntegrityException(
                $"the log answered the new sighting of {sighting.Reference} with log index {sighting.LogIndex} (proof for leaf {proven}), inside the tree of size {floor} it had already signed: that index belongs to an earlier entry");
        }

        await AdmitAsync(sighting, cancellationToken);
    }

    /// <summary>
    /// A stored pin read on a cold cache: held to the remembered checkpoint when the log can
    /// prove it, but a log that cannot answer now does not stop serving it. The pin was admitted
    /// against the log when it was stored, and it only ever refuses digests, so a log outage
    /// must not turn every pinned tag into a 503. Returns false when the proof could not be had.
    /// </summary>
    public async Task<bool> AdmitStoredAsync(Sighting sighting, CancellationToken cancellationToken)
    {
        try
        {
            await AdmitAsync(sighting, cancellationToken);
            return true;
        }
        catch (LedgerUnavailableException)
        {
            return false;
        }
    }

    /// <summary>The sighting's checkpoint must be consistent with the remembered one (only for the configured log).</summary>
    public async Task AdmitAsync(Sighting sighting, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sighting);
        if (history is null || sighting.LogId != _logId || sighting.Bundle.Entry.InclusionProof is not { } proof)
        {
            return;
        }

        try
        {
            await history.ObserveAsync(proof.Checkpoint, cancellationToken);
        }
        catch (Exception e) when (e is LogConsistencyException or LogVerificationException)
        {
            throw new LedgerIntegrityException($"the checkpoint of log index {sighting.LogIndex} ({sighting.Reference}) does not extend the one this store remembers of {history.Description}: {e.Message}", e);
        }
        catch (LogUnavailableException e)
        {
            throw new LedgerUnavailableException($"the checkpoint of log index {sighting.LogIndex} ({sighting.Reference}) could not be proven consistent with the one this store remembers: {e.Message}", e);
        }
    }
}
