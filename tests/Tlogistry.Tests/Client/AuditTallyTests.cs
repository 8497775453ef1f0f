using Tlogistry.Client.Audit;
using Tlogistry.Store;
using Tlogistry.Tests.Store;

namespace Tlogistry.Tests.Client;

/// <summary>What a monitor keeps while it reads: whole entries only where no published bundle holds them.</summary>
public sealed class AuditTallyTests
{
    private const string Log = "aa";

    [Fact]
    public void EntriesABundleHoldsAreCountedNotKeptAndTheOthersAreReportedWhole()
    {
        var tally = new AuditTally();
        tally.Add(Published(Sighting("ghcr.io/org/app:a", 0), "u0"));
        tally.Add(Published(Sighting("ghcr.io/org/app:b", 1), "u1"));
        tally.Add(new PublishedBundle(Log, 5, "u5", null, "does not verify"));

        Assert.False(tally.Add(Ours(Sighting("ghcr.io/org/app:a", 0), "u0")));
        Assert.False(tally.Add(Ours(Sighting("ghcr.io/org/app:b", 1), "u1")));
        Assert.True(tally.Add(Ours(Sighting("ghcr.io/org/app:c", 2), "u2")));

        // Another log's bundle for the same leaf explains nothing here.
        Assert.True(tally.Add(new OurEntry("bb", 0, "u0", "dsse", null)));

        var report = tally.Report(4);
        Assert.Equal((3, 4), (report.Published, report.Ours));
        Assert.Equal(["u2", "u0"], report.Unexplained.Select(o => o.Uuid));
        Assert.Equal("does not verify", Assert.Single(report.BadBundles).Failure);
        Assert.Empty(report.Conflicts);
    }

    [Fact]
    public void ATagSeenAtTwoEntriesWithTwoDigestsIsOneConflictListingEachEntryOnce()
    {
        var tally = new AuditTally();
        tally.Add(Published(Sighting("ghcr.io/org/app:a", 0), "u0"));
        tally.Add(Ours(Sighting("ghcr.io/org/app:a", 0), "u0"));
        tally.Add(Ours(Sighting("ghcr.io/org/app:a", 7, 'b'), "u7"));
        tally.Add(Ours(Sighting("ghcr.io/org/app:z", 8), "u8"));

        var conflict = Assert.Single(tally.Report(3).Conflicts);
        Assert.Equal("ghcr.io/org/app:a", conflict.Reference.Canonical);
        Assert.Equal([(0L, 'a'), (7L, 'b')], conflict.Sightings.Select(s => (s.LogIndex, s.Digest.ToString()[^1])));
    }

    [Fact]
    public void ABundleClaimingTheLogsOwnEntryWithAnotherDigestDoesNotHideATagPinnedTwice()
    {
        // The log holds a:1 at 3 with digest a and at 7 with digest b; the proxy publishes, first,
        // a bundle that says entry 7 recorded digest a, then the real one.
        var tally = new AuditTally();
        tally.Add(Published(Sighting("ghcr.io/org/app:a", 7), "forged"));
        tally.Add(Published(Sighting("ghcr.io/org/app:a", 7, 'b'), "u7"));
        tally.Add(Ours(Sighting("ghcr.io/org/app:a", 3), "u3"));
        tally.Add(Ours(Sighting("ghcr.io/org/app:a", 7, 'b'), "u7"));

        var conflict = Assert.Single(tally.Report(2).Conflicts);
        Assert.Equal([(3L, 'a'), (7L, 'a'), (7L, 'b')], conflict.Sightings.Select(s => (s.LogIndex, s.Digest.ToString()[^1])).Order());
    }

    private static Sighting Sighting(string reference, long index, char digest = 'a') =>
        SightingIndexTests.Fake(reference, index, Log) with { Digest = Typed.Digest("sha256:" + new string(digest, 64)) };

    private static PublishedBundle Published(Sighting s, string uuid) => new(Log, s.LogIndex, uuid, s, null);

    private static OurEntry Ours(Sighting s, string uuid) => new(Log, s.LogIndex, uuid, "dsse", s);
}
