using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Ledger;
using Tlogistry.Store;
using Tlogistry.Tests.Support.Data;

namespace Tlogistry.Tests.Ledger;

/// <summary>The reconciled mark as entries are saved in any order, on a real SQLite store.</summary>
public sealed class ReconciledMarkTests
{
    private const string Log = "aa";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheMarkMovesOnlyThroughSavedEntriesWithoutAGapAndIsWrittenEveryStep()
    {
        using var dir = new TempDirectory();
        var store = new SqliteSightingIndex(dir.Combine("index.db"), durableCommits: false);
        var mark = new ReconciledMark(store, Log, NullLogger.Instance, step: 4);
        await mark.StartAsync(10, following: true, Ct);
        Assert.Equal(10, await store.ReconciledThroughAsync(Log, Ct));

        // Saved out of order: nothing moves until entry 10 is saved, then the run 10..14 at once.
        foreach (var i in new long[] { 12, 11, 14, 13, 9 })
        {
            await mark.HeldAsync(i);
        }

        Assert.Equal(10, await store.ReconciledThroughAsync(Log, Ct));
        await mark.HeldAsync(10);
        Assert.Equal(15, await store.ReconciledThroughAsync(Log, Ct));

        // Another log's entries are not this mark's.
        Assert.Equal(0, await store.ReconciledThroughAsync("bb", Ct));
    }

    [Fact]
    public async Task AGapThatIsNeverSavedStopsTheMarkWithinItsBoundUntilTheNextStart()
    {
        using var dir = new TempDirectory();
        var store = new SqliteSightingIndex(dir.Combine("index.db"), durableCommits: false);
        var mark = new ReconciledMark(store, Log, NullLogger.Instance, step: 1, maxWaiting: 3);
        await mark.StartAsync(0, following: true, Ct);
        await mark.HeldAsync(0);
        Assert.Equal(1, await store.ReconciledThroughAsync(Log, Ct));

        // Entry 1 is never saved: three wait above it, the fourth stops the mark following.
        foreach (var i in new long[] { 2, 3, 4, 5 })
        {
            await mark.HeldAsync(i);
        }

        await mark.HeldAsync(1);
        Assert.Equal(1, await store.ReconciledThroughAsync(Log, Ct));

        // The next start finds where to begin and follows again.
        await mark.StartAsync(6, following: true, Ct);
        await mark.HeldAsync(6);
        Assert.Equal(7, await store.ReconciledThroughAsync(Log, Ct));
    }

    [Fact]
    public async Task AStartThatLeftAnEntryBehindDoesNotFollowNewEntries()
    {
        using var dir = new TempDirectory();
        var store = new SqliteSightingIndex(dir.Combine("index.db"), durableCommits: false);
        var mark = new ReconciledMark(store, Log, NullLogger.Instance, step: 1);
        await store.MarkReconciledAsync(Log, 8, replace: false, Ct);

        // Written as found, lower than before: the entry left behind is where the next start reads from.
        await mark.StartAsync(3, following: false, Ct);
        await mark.HeldAsync(3);
        await mark.HeldAsync(4);
        Assert.Equal(3, await store.ReconciledThroughAsync(Log, Ct));
    }
}
