using Tlogistry.Ledger;
using Tlogistry.Oci;
using Tlogistry.Store;

namespace Tlogistry.Client.Audit;

/// <summary>
/// A log entry made by our signer: its sighting when the log keeps the statement (the embedded
/// log, Rekor v1), else null (Rekor v2 keeps a hash; <see cref="Kind"/> says what it is).
/// </summary>
internal sealed record OurEntry(string LogId, long LogIndex, string Uuid, string Kind, Sighting? Sighting);

/// <summary>A bundle the proxy publishes: its sighting when it verified, else <see cref="Failure"/>.</summary>
internal sealed record PublishedBundle(string LogId, long LogIndex, string Uuid, Sighting? Sighting, string? Failure);

/// <summary>One digest a tag was recorded with, and where.</summary>
internal sealed record TagDigest(Digest Digest, string LogId, long LogIndex);

/// <summary>A tag recorded with more than one digest.</summary>
internal sealed record TagConflict(TagReference Reference, IReadOnlyList<TagDigest> Sightings);

/// <summary>
/// What a monitor concludes, without I/O: tags recorded with more than one digest (in the log,
/// the published bundles or the entries intents explain), entries of ours that neither a
/// published, verifying bundle nor a published intent explains, published bundles that do not
/// verify, and findings about the log itself (<see cref="LogFinding"/>). Clean when all four are
/// empty. <see cref="ByIntent"/> (entries a stopped first sighting left, explained by its intent)
/// is information, not a finding.
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
    /// <summary>Entries no bundle holds that a published intent explains, as the sightings they record.</summary>
    public IReadOnlyList<Sighting> ByIntent { get; init; } = [];

    public bool IsClean => Conflicts.Count == 0 && Unexplained.Count == 0 && BadBundles.Count == 0 && LogFindings.Count == 0;

    public int Findings => Conflicts.Count + Unexplained.Count + BadBundles.Count + LogFindings.Count;

    /// <param name="byIntent">Sightings of entries (not held by a bundle) that an intent explains (<see cref="IntentMatch"/>).</param>
    public static AuditReport Build(long entriesRead, IReadOnlyList<OurEntry> ours, IReadOnlyList<PublishedBundle> published, IReadOnlyList<LogFinding>? logFindings = null, IReadOnlyList<Sighting>? byIntent = null)
    {
        ArgumentNullException.ThrowIfNull(ours);
        ArgumentNullException.ThrowIfNull(published);
        byIntent ??= [];

        // An entry is explained by a verifying bundle for the same leaf of the same log, or by an intent.
        var explained = published.Where(p => p.Sighting is not null).Select(p => (p.LogId, p.Uuid)).ToHashSet();
        // By leaf hash: an entry's log is named by its key in the report, while a sighting keeps the ID it was read under.
        var intended = byIntent.Select(s => Convert.ToHexStringLower(Tlogistry.Transparency.Merkle.Rfc6962.LeafHash(s.Bundle.Entry.CanonicalizedBody))).ToHashSet(StringComparer.Ordinal);
        var unexplained = ours.Where(o => !explained.Contains((o.LogId, o.Uuid)) && !intended.Contains(o.Uuid)).ToList();

        var sightings = ours.Where(o => o.Sighting is not null).Select(o => o.Sighting!)
            .Concat(published.Where(p => p.Sighting is not null).Select(p => p.Sighting!))
            .Concat(byIntent)
            .DistinctBy(s => (s.LogId, s.LogIndex));
        var conflicts = sightings
            .GroupBy(s => s.Reference)
            .Where(g => g.Select(s => s.Digest).Distinct().Count() > 1)
            .Select(g => new TagConflict(g.Key, [.. g.OrderBy(s => s.LogId, StringComparer.Ordinal).ThenBy(s => s.LogIndex).Select(s => new TagDigest(s.Digest, s.LogId, s.LogIndex))]))
            .OrderBy(c => c.Reference.Canonical, StringComparer.Ordinal)
            .ToList();

        return new AuditReport(entriesRead, ours.Count, published.Count, conflicts, unexplained, [.. published.Where(p => p.Sighting is null)], logFindings ?? [])
        {
            ByIntent = [.. byIntent.OrderBy(s => s.LogIndex)],
        };
    }
}
