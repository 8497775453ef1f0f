using Tlogistry.Store;
using Tlogistry.Tests.Store;
using Tlogistry.Web;

namespace Tlogistry.Tests.Web;

/// <summary>The home page's counts: counted once, kept a minute, then recounted behind the stale figures.</summary>
public sealed class SiteCountsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FiguresAreKeptForAMinuteThenRecountedWhileTheStaleOnesAreServed()
    {
        await using var store = new SqliteTestStore();
        var index = await store.OpenAsync();
        await index.SaveAsync(SightingIndexTests.Fake("ghcr.io/org/app:v1", 0), Ct);
        var clock = new ManualTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        var counts = new SiteCounts((ISightingCounts)index, index, _ => Task.FromResult(1L), clock);

        var first = await counts.CurrentAsync(Ct);
        Assert.Equal((1L, 1L, (long?)0L, 1L, clock.Now), (first.Sightings, first.Images, first.Moves, first.LogSize, first.CountedAt));

        // Within the minute a new sighting is not counted: no page view reads the store.
        await index.SaveAsync(SightingIndexTests.Fake("ghcr.io/org/other:v1", 1), Ct);
        clock.Advance(SiteCounts.MaxAge - TimeSpan.FromSeconds(1));
        Assert.Same(first, await counts.CurrentAsync(Ct));

        // Past it, the request that finds them stale gets them as they were, and starts a count.
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Same(first, await counts.CurrentAsync(Ct));
        SiteTotals? next = null;
        for (var i = 0; i < 500 && (next = await counts.CurrentAsync(Ct)) == first; i++)
        {
            await Task.Delay(10, Ct);
        }

        Assert.Equal((2L, 2L, clock.Now), (next!.Sightings, next.Images, next.CountedAt));
    }

    [Fact]
    public async Task WithoutARecordOfMovesTheirCountSaysSo()
    {
        await using var store = new SqliteTestStore();
        var index = await store.OpenAsync();
        var counts = new SiteCounts((ISightingCounts)index, null, _ => Task.FromResult(0L), TimeProvider.System);
        var totals = await counts.CurrentAsync(Ct);
        Assert.Null(totals.Moves);
        Assert.Equal("not recorded", totals.MovesText);
    }
}
