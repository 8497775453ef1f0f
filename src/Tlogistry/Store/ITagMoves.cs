using Tlogistry.Oci;

namespace Tlogistry.Store;

/// <summary>
/// The durable record of tags seen moved upstream, one row per (tag, pinned digest, upstream
/// digest), shared by every replica on the same store and bounded in rows.
/// </summary>
internal interface ITagMoves
{
    /// <summary>The default bound in rows; beyond it the rows last seen longest ago are dropped.</summary>
    const int DefaultMaxRows = 100_000;

    /// <summary>
    /// Upstream digests kept per tag and pin: a tag that keeps moving keeps its latest ones, and a
    /// further digest replaces the one seen longest ago without being announced again.
    /// </summary>
    const int MaxUpstreamsPerPin = 8;

    /// <summary>The most rows one page holds.</summary>
    const int MaxPage = 1000;

    /// <summary>
    /// Records one observation of a move at <paramref name="at"/>: creates the row the first
    /// time (atomically, so across replicas exactly one caller gets <see cref="MoveObservation.FirstSeen"/>),
    /// else advances its last-seen time and the count for <paramref name="answer"/>.
    /// </summary>
    Task<MoveObservation> ObserveMoveAsync(TagReference tag, Digest pinned, Digest upstream, long pinLogIndex, MoveAnswer answer, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>One page of the record, newest first.</summary>
    Task<MovePage> ListMovesAsync(MoveQuery query, CancellationToken cancellationToken);
}
