using Tlogistry.Store;
using Tlogistry.Ledger;

namespace Tlogistry.Client.Audit;

/// <summary>
/// A log entry made by our signer: its sighting when the log keeps the statement (the embedded
/// log, Rekor v1), else null (Rekor v2 keeps a hash; <see cref="Kind"/> says what it is).
/// </summary>
internal sealed record OurEntry(string LogId, long LogIndex, string Uuid, string Kind, Sighting? Sighting);

/// <summary>A bundle the proxy publishes: its sighting when it verified, else <see cref="Failure"/>.</summary>
internal sealed record PublishedBundle(string LogId, long LogIndex, string Uuid, Sighting? Sighting, string? Failure);

/// <summary>One digest a tag was recorded with, and where.</summary>
internal sealed record TagDigest(string Digest, string LogId, long LogIndex);

/// <summary>A tag recorded with more than one digest.</summary>
internal sealed record TagConflict(string Reference, IReadOnlyList<TagDigest> Sightings);

/// <summary>
/// What a monitor concludes, without I/O: tags recorded with more than one digest (in the log
/// or the published bundles), entries of ours that no published, verifying bundle explains, and
/// published bundles that do not verify, and findings about the log itself (<see cref="LogFinding"/>).
/// Clean when all four are empty.
/// </summary>
internal sealed record AuditReport(
    long EntriesRead,
    int Ours,
    int Published,
    IReadOnlyList<TagConflict> Conflicts,
    IReadOnlyList<OurEntry> Unexplained,
    IReadOnlyList<PublishedBundle> BadBundles,
    IReadOnlyList<LogFinding> LogFindings)
{
    public bool IsClean => Conflicts.Count == 0 && Unexplained.Count == 0 && BadBundles.Count == 0 && LogFindings.Count == 0;

    public int Findings => Conflicts.Count + Unexplained.Count + BadBundles.Count + LogFindings.Count;

    public static AuditReport Build(long entriesRead, IReadOnlyList<OurEntry> ours, IReadOnlyList<PublishedBundle> published, IReadOnlyList<LogFinding>? logFindings = null)
    {
        ArgumentNullException.ThrowIfNull(ours);
        ArgumentNullException.ThrowIfNull(published);

        // An entry is explained by a verifying bundle for the same leaf of the same log.
        var explained = published.Where(p => p.Sighting is not null).Select(p => (p.LogId, p.Uuid)).ToHashSet();
        var unexplained = ours.Where(o => !explained.Contains((o.LogId, o.Uuid))).ToList();

        var sightings = ours.Where(o => o.Sighting is not null).Select(o => o.Sighting!)
            .Concat(published.Where(p => p.Sighting is not null).Select(p => p.Sighting!))
            .DistinctBy(s => (s.LogId, s.LogIndex));
        var conflicts = sightings
            .GroupBy(s => s.Reference, StringComparer.Ordinal)
            .Where(g => g.Select(s => s.Digest).Distinct(StringComparer.Ordinal).Count() > 1)
            .Select(g => new TagConflict(g.Key, [.. g.OrderBy(s => s.LogId, StringComparer.Ordinal).ThenBy(s => s.LogIndex).Select(s => new TagDigest(s.Digest, s.LogId, s.LogIndex))]))
            .OrderBy(c => c.Reference, StringComparer.Ordinal)
            .ToList();

        return new AuditReport(entriesRead, ours.Count, published.Count, conflicts, unexplained, [.. published.Where(p => p.Sighting is null)], logFindings ?? []);
    }
}
