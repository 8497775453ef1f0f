using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Tlogistry.Oci;
using Tlogistry.Store;
using Tlogistry.Telemetry;

namespace Tlogistry.Ledger;

/// <summary>
/// Writes pins to the store. A pin the log holds but the store refused is kept here as lost
/// (never evicted, or the tag could be logged twice) and its write retried by the tag's next
/// request; no pin is served from memory alone, so until the store takes it the tag answers 503.
/// </summary>
internal sealed partial class PinWriter
{
    private readonly ISightingIndex _store;
    private readonly VerifiedPins _verified;
    private readonly ILogger _logger;
    private readonly VerificationStamps? _stamps;
    private readonly ReconciledMark? _mark;
    private readonly ConcurrentDictionary<TagReference, (Sighting Pin, DateTimeOffset VerifiedAt)> _lost = new();

    /// <param name="stamps">Stamps each pin appended by this process as verified; none when null.</param>
    /// <param name="mark">Moved on by each pin of its log saved; none when null.</param>
    public PinWriter(ISightingIndex store, VerifiedPins verified, ILogger logger, VerificationStamps? stamps = null, ReconciledMark? mark = null)
    {
        _mark = mark;
        _store = store;
        _verified = verified;
        _logger = logger;
        _stamps = stamps;
    }

    /// <summary>
    /// Saves a pin. A write refused because the store already holds this very entry counts as
    /// saved: with a shared store, a replica that found the entry by a log search may store it
    /// while the replica that logged it still holds the tag's lock.
    /// </summary>
    public async Task SaveAsync(Sighting sighting, DateTimeOffset? verifiedAt = null)
    {
        try
        {
            RowSeal? seal = _stamps is { } stamps && verifiedAt is { } at ? content => stamps.Seal(content, sighting.LogTime, at) : null;
            await _store.SaveAsync(sighting, CancellationToken.None, seal);
        }
        catch (Exception e) when (LedgerGuard.IsStorageFailure(e))
        {
            Sighting? stored = null;
            try
            {
                stored = await _store.FindAsync(sighting.Reference, CancellationToken.None);
            }
            catch (Exception again) when (LedgerGuard.IsStorageFailure(again) || again is FormatException)
            {
                // The store cannot say: the write failed.
            }

            if (stored is null || stored.LogId != sighting.LogId || stored.LogIndex != sighting.LogIndex)
            {
                throw;
            }
        }

        if (_mark is { } mark && sighting.LogId == mark.LogId)
        {
            await mark.HeldAsync(sighting.LogIndex);
        }
    }

    /// <summary>Saves a pin found in the log; the store is a cache of the log here, so a failed write only costs a later search.</summary>
    public async Task SaveQuietlyAsync(Sighting sighting)
    {
        try
        {
            await SaveAsync(sighting);
        }
        catch (Exception e) when (LedgerGuard.IsStorageFailure(e))
        {
            Log.IndexWriteFailed(_logger, sighting.Reference.Canonical, sighting.LogIndex, e.Message);
        }
    }

    /// <summary>
    /// Saves a pin just appended to the log, verified and admitted from
    /// <paramref name="verifiedAt"/> on (stamped so). When the store refuses, the pin is kept as
    /// lost and the request fails: nothing is acknowledged until the store holds it.
    /// </summary>
    public async Task SaveAppendedAsync(Sighting sighting, DateTimeOffset verifiedAt)
    {
        try
        {
            await SaveAsync(sighting, verifiedAt);
        }
        catch (Exception e) when (LedgerGuard.IsStorageFailure(e))
        {
            _lost[sighting.Reference] = (sighting, verifiedAt);
            _verified.Forget(sighting.Reference);
            Log.IndexWriteFailed(_logger, sighting.Reference.Canonical, sighting.LogIndex, e.Message);
            throw new LedgerUnavailableException(LostPinMessage(sighting, e.Message), e);
        }
    }

    /// <summary>
    /// The tag's lost pin, saved now (and then remembered as verified); null when the tag has
    /// none. Throws <see cref="LedgerUnavailableException"/> while the store still refuses it.
    /// </summary>
    public async Task<Sighting?> RetryLostAsync(TagReference reference)
    {
        if (!_lost.TryGetValue(reference, out var lost))
        {
            return null;
        }

        var sighting = lost.Pin;
        try
        {
            await SaveAsync(sighting, lost.VerifiedAt);
        }
        catch (Exception e) when (LedgerGuard.IsStorageFailure(e))
        {
            throw new LedgerUnavailableException(LostPinMessage(sighting, e.Message), e);
        }

        _lost.TryRemove(reference, out _);
        _verified.Remember(sighting);
        return sighting;
    }

    private static string LostPinMessage(Sighting sighting, string reason) =>
        $"the sighting of {sighting.Reference} is in the log at index {sighting.LogIndex}, but the store could not save it ({reason}); no pin is served from memory alone, so the tag is served once the store takes it";

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Ledger.IndexWriteFailed, Level = LogLevel.Error, Message = "sighting of {Reference} is in the log at index {Index} but the index write failed ({Reason}); the tag answers 503 until the write succeeds")]
        public static partial void IndexWriteFailed(ILogger logger, string reference, long index, string reason);
    }
}
