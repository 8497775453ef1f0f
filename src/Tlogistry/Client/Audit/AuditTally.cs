using Tlogistry.Oci;
using Tlogistry.Store;

namespace Tlogistry.Client.Audit;

/// <summary>
/// What a monitor keeps while it reads, so that its memory grows by a few hundred bytes per
/// entry and not by every bundle: for each published bundle that verifies, the leaf it holds;
/// for each tag, where it was recorded and with which digest; whole entries only for those of
/// ours that no published bundle holds (the ones intents may explain or the report names), and
/// whole bundles only for those that do not verify. Published bundles are added first, then the
/// log's entries of ours. No I/O.
/// </summary>
internal sealed class AuditTally
{
    private readonly HashSet<(string LogId, string Uuid)> _explained = [];
    private readonly Dictionary<TagReference, TagRecords> _tags = [];
    private readonly Dictionary<string, string> _logIds = new(StringComparer.Ordinal);
    private readonly List<PublishedBundle> _bad = [];
    private readonly List<OurEntry> _loose = [];
    private int _published;
    private int _ours;

    /// <summary>Entries of ours that no verifying published bundle holds, in the order read.</summary>
    public IReadOnlyList<OurEntry> Loose => _loose;

    /// <summary>A published bundle (added before any entry of ours).</summary>
    public void Add(PublishedBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        _published++;
        if (bundle.Sighting is not { } sighting)
        {
            _bad.Add(bundle);
            return;
        }

        _explained.Add((Shared(bundle.LogId), bundle.Uuid));
        Recorded(sighting);
    }

    /// <summary>Entries of ours added.</summary>
    public int Ours => _ours;

    /// <summary>An entry of ours read from the log; kept whole (and true returned) only when no published bundle holds it.</summary>
    public bool Add(OurEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        _ours++;
        if (entry.Sighting is { } sighting)
        {
            Recorded(sighting);
        }

        if (_explained.Contains((entry.LogId, entry.Uuid)))
        {
            return false;
        }

        _loose.Add(entry);
        return true;
    }

    /// <summary>
    /// The report: conflicts over every sighting added and <paramref name="byIntent"/>; unexplained
    /// are the loose entries that no sighting of <paramref name="byIntent"/> explains.
    /// </summary>
    public AuditReport Report(long entriesRead, IReadOnlyList<LogFinding>? logFindings = null, IReadOnlyList<Sighting>? byIntent = null)
    {
        byIntent ??= [];
        foreach (var sighting in byIntent)
        {
            Recorded(sighting);
        }

        // By leaf hash: an entry's log is named by its key in the report, while a sighting keeps the ID it was read under.
        var intended = byIntent.Select(s => Convert.ToHexStringLower(Transparency.Merkle.Rfc6962.LeafHash(s.Bundle.Entry.CanonicalizedBody))).ToHashSet(StringComparer.Ordinal);
        var conflicts = _tags
            .Where(t => t.Value.Conflicting)
            .Select(t => new TagConflict(t.Key, [.. t.Value.All.OrderBy(s => s.LogId, StringComparer.Ordinal).ThenBy(s => s.LogIndex)]))
            .OrderBy(c => c.Reference.Canonical, StringComparer.Ordinal)
            .ToList();
        return new AuditReport(entriesRead, _ours, _published, conflicts, [.. _loose.Where(o => !intended.Contains(o.Uuid))], _bad, logFindings ?? [])
        {
            ByIntent = [.. byIntent.OrderBy(s => s.LogIndex)],
        };
    }

    /// <summary>One sighting of its tag, counted once per log entry and digest however often it is met.</summary>
    private void Recorded(Sighting sighting)
    {
        var seen = new TagDigest(sighting.Digest, Shared(sighting.LogId), sighting.LogIndex);
        if (_tags.TryGetValue(sighting.Reference, out var records))
        {
            records.Add(seen);
        }
        else
        {
            _tags[sighting.Reference] = new TagRecords(seen);
        }
    }

    /// <summary>One string per log ID, however many entries name it.</summary>
    public string Shared(string logId)
    {
        if (_logIds.TryGetValue(logId, out var shared))
        {
            return shared;
        }

        _logIds[logId] = logId;
        return logId;
    }

    /// <summary>A tag's sightings: the first alone until another log entry records it.</summary>
    private sealed class TagRecords(TagDigest first)
    {
        private HashSet<TagDigest>? _more;

        public IEnumerable<TagDigest> All => _more is null ? [first] : [first, .. _more];

        public bool Conflicting => _more is not null && _more.Any(s => s.Digest != first.Digest);

        /// <summary>
        /// Met again with the same digest, an entry counts once. Two claims of one entry with
        /// different digests (a forged bundle beside the log's own) are both kept: whichever
        /// came first, the tag is a conflict.
        /// </summary>
        public void Add(TagDigest seen)
        {
            if (first == seen || (_more?.Contains(seen) ?? false))
            {
                return;
            }

            (_more ??= []).Add(seen);
        }
    }
}
