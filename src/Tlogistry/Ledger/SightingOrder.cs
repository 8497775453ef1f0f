using Tlogistry.Store;

namespace Tlogistry.Ledger;

/// <summary>
/// Which of two valid sightings of one tag is the pin: the one the log holds first. In one
/// log that is the lower log index, whatever a store says. Entries of two different logs (a
/// switch from the embedded log to Rekor) are ordered by the time each log states; when a
/// log states none (Rekor v2) the order is unknown and the sighting already held stays.
/// </summary>
internal static class SightingOrder
{
    /// <summary>True when <paramref name="candidate"/> precedes <paramref name="held"/> and must replace it.</summary>
    public static bool Precedes(Sighting candidate, Sighting held)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(held);
        if (candidate.LogId == held.LogId)
        {
            return candidate.LogIndex < held.LogIndex;
        }

        var (a, b) = (candidate.Bundle.Entry.IntegratedTime, held.Bundle.Entry.IntegratedTime);
        return a > 0 && b > 0 && a < b;
    }
}
