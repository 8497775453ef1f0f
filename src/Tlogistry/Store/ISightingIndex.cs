using Tlogistry.Oci;

namespace Tlogistry.Store;

/// <summary>
/// The store of sightings: tag reference → the sighting (as a bundle) that pinned it. It is
/// the first lookup for every log. For logs that keep whole envelopes it can be rebuilt from
/// the log; for Rekor v2, which keeps only a hash, it is rebuilt from a bundle export.
/// </summary>
internal interface ISightingIndex : IIntentJournal, IHeldManifests, ITagMoves
{
    /// <summary>Where the store lives, for the start-up log (never a password).</summary>
    string Description { get; }

    Task<Sighting?> FindAsync(TagReference reference, CancellationToken cancellationToken);

    /// <summary>The tag's row with a digest of its content (<see cref="StoredPin.Content"/>), or null.</summary>
    Task<StoredPin?> FindStoredAsync(TagReference reference, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a sighting durably. A second sighting for the same reference is an error.
    /// <paramref name="seal"/>, when given, makes the row's stamp from the content as a later
    /// read will find it (<see cref="StoredPin.ContentHash"/>).
    /// </summary>
    Task SaveAsync(Sighting sighting, CancellationToken cancellationToken, RowSeal? seal = null);

    /// <summary>
    /// Stores each tag's stamp on its row, whatever the row holds now: a stamp is checked
    /// against the content it was made for, so one that lands on a row replaced since is ignored.
    /// </summary>
    Task StampAsync(IReadOnlyList<(TagReference Reference, byte[] Stamp)> stamps, CancellationToken cancellationToken);

    /// <summary>Removes every stamp (a log accepted anew: nothing verified against the old one counts).</summary>
    Task ClearStampsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Puts <paramref name="earlier"/> in place of <paramref name="stored"/>, the reference's pin,
    /// keeping its place in the export order; nothing changes unless the store still holds
    /// <paramref name="stored"/> (same log entry). The log decides which sighting is the pin.
    /// </summary>
    Task ReplaceAsync(Sighting stored, Sighting earlier, CancellationToken cancellationToken);

    /// <summary>Deletes the row of <paramref name="sighting"/>'s log entry (an accepted rollback forgets what the log no longer holds).</summary>
    Task ForgetAsync(Sighting sighting, CancellationToken cancellationToken);

    /// <summary>The largest verified checkpoint of log <paramref name="log"/> (<see cref="Transparency.Sigstore.LogIdentity"/>) this store remembers, or null. The column that holds the key is still named <c>origin</c>.</summary>
    Task<RememberedCheckpoint?> RememberedCheckpointAsync(string log, CancellationToken cancellationToken);

    /// <summary>
    /// Remembers a verified checkpoint unless a larger one of its log is remembered already;
    /// with <paramref name="replace"/> (an accepted rollback) it overwrites whatever is remembered.
    /// </summary>
    Task RememberCheckpointAsync(RememberedCheckpoint checkpoint, bool replace, CancellationToken cancellationToken);

    /// <summary>The lowest index of log <paramref name="logId"/> from <paramref name="from"/> on that is not held: where reconciliation resumes. Reads only the rows from there.</summary>
    Task<long> FirstUnindexedAsync(string logId, long from, CancellationToken cancellationToken);

    /// <summary>Log <paramref name="logId"/>'s reconciled mark: every entry below it was held when it was set (0 when none is).</summary>
    Task<long> ReconciledThroughAsync(string logId, CancellationToken cancellationToken);

    /// <summary>Sets the reconciled mark; it is only ever raised, unless <paramref name="replace"/> (an accepted rollback lowers it).</summary>
    Task MarkReconciledAsync(string logId, long through, bool replace, CancellationToken cancellationToken);

    /// <summary>Sightings in the order they were stored, after position <paramref name="after"/>.</summary>
    Task<SightingPage> ListAsync(long after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Holds the tag's first-sighting lock for every process sharing this store until the
    /// result is disposed. A store only one process can open needs none (the ledger's own
    /// single flight covers that process). Throws a storage failure when the lock cannot be
    /// had in time, so a stuck holder answers 503 instead of hanging its waiters.
    /// </summary>
    Task<IAsyncDisposable> LockTagAsync(TagReference reference, CancellationToken cancellationToken);

    /// <summary>Throws unless the store answers a read of the sightings table, columns and all: the readiness check.</summary>
    Task CheckAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Every sighting of a tag of <paramref name="image"/> (a repository on its registry),
    /// ordered by canonical tag reference in byte order.
    /// </summary>
    Task<IReadOnlyList<Sighting>> ListRepositoryAsync(ImageName image, CancellationToken cancellationToken);

    /// <summary>
    /// One page of <paramref name="image"/>'s tags' sightings in byte order of tag: at most
    /// <paramref name="limit"/>, those whose tag sorts after <paramref name="afterTag"/> (from
    /// the first when null). Keyset paged on the index of references, so a page costs the same
    /// at any depth and however many tags the repository has.
    /// </summary>
    Task<RepositoryPage> ListRepositoryPageAsync(ImageName image, string? afterTag, int limit, CancellationToken cancellationToken);

    /// <summary>How many tags of <paramref name="image"/> have a sighting: counted on the index of references alone, no row read.</summary>
    Task<long> CountRepositoryAsync(ImageName image, CancellationToken cancellationToken);

    /// <summary>
    /// The canonical tag references of one repository's tags, exclusive bounds in byte order:
    /// with <c>IMAGE</c> the image's <see cref="ImageName.Canonical"/> text, they all start with
    /// <c>IMAGE:</c> and sort before <c>IMAGE;</c> (';' follows ':'); a nested repository
    /// (<c>IMAGE/…</c>) or a digest reference (<c>IMAGE@…</c>) falls outside.
    /// </summary>
    static (string After, string Before) RepositoryRange(ImageName image) => (image.Canonical + ":", image.Canonical + ";");
}

/// <summary>One page of a repository's sightings, and the tag the next page starts after (null at the end).</summary>
internal sealed record RepositoryPage(IReadOnlyList<Sighting> Sightings, string? NextAfter)
{
    /// <summary>
    /// Reads a page from rows ordered by reference, asked for with a limit of
    /// <paramref name="limit"/> + 1: one row more than the page means a next page exists.
    /// </summary>
    public static async Task<RepositoryPage> ReadAsync(System.Data.Common.DbDataReader rows, int limit, Func<System.Data.Common.DbDataReader, Sighting> read, CancellationToken cancellationToken)
    {
        var page = new List<Sighting>();
        while (await rows.ReadAsync(cancellationToken))
        {
            if (page.Count == limit)
            {
                return new RepositoryPage(page, page[^1].Reference.Tag);
            }

            page.Add(read(rows));
        }

        return new RepositoryPage(page, null);
    }

    /// <summary>The exclusive lower bound of a page: past the last tag shown, or the repository's start.</summary>
    public static string LowerBound(ImageName image, string? afterTag) =>
        ISightingIndex.RepositoryRange(image).After + (afterTag ?? "");
}

/// <summary>One page of sightings and the position to continue from (null at the end).</summary>
internal sealed record SightingPage(IReadOnlyList<Sighting> Sightings, long? Next)
{
    /// <summary>
    /// Reads a page from rows ordered by position, asked for with a limit of
    /// <paramref name="limit"/> + 1: one row more than the page means a next page exists.
    /// </summary>
    public static async Task<SightingPage> ReadAsync(
        System.Data.Common.DbDataReader rows, long after, int limit, int positionColumn, Func<System.Data.Common.DbDataReader, Sighting> read, CancellationToken cancellationToken)
    {
        var page = new List<Sighting>();
        var last = after;
        while (await rows.ReadAsync(cancellationToken))
        {
            if (page.Count == limit)
            {
                return new SightingPage(page, last);
            }

            page.Add(read(rows));
            last = rows.GetInt64(positionColumn);
        }

        return new SightingPage(page, null);
    }
}
