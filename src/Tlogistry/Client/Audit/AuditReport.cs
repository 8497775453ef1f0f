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

    /// <summary>The report over whole lists, as <see cref="AuditTally"/> builds it while reading.</summary>
    /// <param name="byIntent">Sightings of entries (not held by a bundle) that an intent explains (<see cref="IntentMatch"/>).</param>
    public static AuditReport Build(long entriesRead, IReadOnlyList<OurEntry> ours, IReadOnlyList<PublishedBundle> published, IReadOnlyList<LogFinding>? logFindings = null, IReadOnlyList<Sighting>? byIntent = null)
    {
        ArgumentNullException.ThrowIfNull(ours);
        ArgumentNullException.ThrowIfNull(published);
        var tally = new AuditTally();
        foreach (var bundle in published)
        {
            tally.Add(bundle);
        }

        foreach (var entry in ours)
        {
            tally.Add(entry);
        }

        return tally.Report(entriesRead, logFindings, byIntent);
    }
}
