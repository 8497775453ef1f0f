namespace Tlogistry.Ledger;

/// <summary>
/// The lookup path for pins: tag reference → the sighting that pinned it. The log is the
/// source of truth; an index can always be rebuilt from it.
/// </summary>
internal interface ISightingIndex
{
    Task<Sighting?> FindAsync(string reference, CancellationToken cancellationToken);

    /// <summary>Stores a sighting durably. A second sighting for the same reference is an error.</summary>
    Task SaveAsync(Sighting sighting, CancellationToken cancellationToken);

    /// <summary>The lowest log index not held (0 when empty): where reconciliation with the log resumes.</summary>
    Task<long> FirstUnindexedAsync(CancellationToken cancellationToken);

    IAsyncEnumerable<Sighting> ListAsync(CancellationToken cancellationToken);
}
