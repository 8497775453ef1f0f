using Tlogistry.Oci;

namespace Tlogistry.Store;

/// <summary>
/// The write-ahead record of first sightings: an intent is stored (under the tag's lock)
/// before its envelope goes to the log, so a process that dies between the log and the
/// store leaves something that says what it sent. Intents are kept, except with a
/// pin that an accepted log rollback forgets.
/// </summary>
internal interface IIntentJournal
{
    /// <summary>
    /// Stores the tag's intent durably, in place of an earlier one for the tag: the ledger replaces
    /// one only when it can no longer be sent (its certificate expired) and the log, searched,
    /// does not hold it.
    /// </summary>
    Task SaveIntentAsync(AppendIntent intent, CancellationToken cancellationToken);

    /// <summary>Deletes the tag's intent: only for a pin forgotten with the log that held its entry (<c>index accept-log</c>).</summary>
    Task ForgetIntentAsync(TagReference reference, CancellationToken cancellationToken);

    /// <summary>The tag's intent, or null when none was stored.</summary>
    Task<AppendIntent?> FindIntentAsync(TagReference reference, CancellationToken cancellationToken);

    /// <summary>
    /// Intents in the order they were stored, after position <paramref name="after"/>; with
    /// <paramref name="unpinnedOnly"/> only those whose tag the store holds no sighting for
    /// (what a start sends again).
    /// </summary>
    Task<IntentPage> ListIntentsAsync(long after, int limit, bool unpinnedOnly, CancellationToken cancellationToken);
}
