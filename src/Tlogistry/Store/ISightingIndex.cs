namespace Tlogistry.Store;

/// <summary>
/// The store of sightings: tag reference → the sighting (as a bundle) that pinned it. It is
/// the first lookup for every log. For logs that keep whole envelopes it can be rebuilt from
/// the log; for Rekor v2, which keeps only a hash, it is rebuilt from a bundle export.
/// </summary>
internal interface ISightingIndex
{
    Task<Sighting?> FindAsync(string reference, CancellationToken cancellationToken);

    /// <summary>Stores a sighting durably. A second sighting for the same reference is an error.</summary>
    Task SaveAsync(Sighting sighting, CancellationToken cancellationToken);

    /// <summary>The lowest index of log <paramref name="logId"/> not held (0 when none): where reconciliation resumes.</summary>
    Task<long> FirstUnindexedAsync(string logId, CancellationToken cancellationToken);

    /// <summary>Sightings in the order they were stored, after position <paramref name="after"/>.</summary>
    Task<SightingPage> ListAsync(long after, int limit, CancellationToken cancellationToken);
}

/// <summary>One page of sightings and the position to continue from (null at the end).</summary>
internal sealed record SightingPage(IReadOnlyList<Sighting> Sightings, long? Next);
