using Tlogistry.Ledger;

namespace Tlogistry.Tests.Ledger;

public sealed class VerifiedRowsTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    [Fact]
    public void OnlyTheRowVerifiedForATagCountsAndAForgottenTagsRowNeverDoes()
    {
        var rows = new VerifiedRows();
        var tag = Typed.Tag("ghcr.io/org/app:v1");
        rows.Remember(tag, 1, At);

        Assert.True(rows.TryGet(tag, 1, out var time));
        Assert.Equal(At, time);
        Assert.False(rows.TryGet(tag, 2, out _));
        Assert.False(rows.TryGet(Typed.Tag("ghcr.io/org/app:v2"), 1, out _));

        rows.Remember(tag, 2, null);
        Assert.False(rows.TryGet(tag, 1, out _));
        Assert.True(rows.TryGet(tag, 2, out var none));
        Assert.Null(none);

        rows.Forget(tag);
        Assert.False(rows.TryGet(tag, 2, out _));
    }

    [Fact]
    public void TheBoundHoldsWhateverIsRememberedAndRowsInUseStay()
    {
        const int Entries = 1000;
        var rows = new VerifiedRows(Entries * VerifiedRows.EntryBytes);
        var hot = Typed.Tag("ghcr.io/org/hot:1");
        rows.Remember(hot, 7, At);
        for (var i = 0; i < 20 * Entries; i++)
        {
            rows.Remember(Typed.Tag($"ghcr.io/org/app:t{i}"), (ulong)i, At);
            if (i % 100 == 0)
            {
                Assert.True(rows.TryGet(hot, 7, out _), $"the row in use was dropped after {i} others");
            }

            Assert.True(rows.Count <= Entries, $"{rows.Count} rows held, the bound is {Entries}");
        }

        // The rows remembered last are held; the first are gone.
        Assert.True(rows.TryGet(Typed.Tag($"ghcr.io/org/app:t{(20 * Entries) - 1}"), (ulong)((20 * Entries) - 1), out _));
        Assert.False(rows.TryGet(Typed.Tag("ghcr.io/org/app:t0"), 0, out _));
        Assert.False(new VerifiedRows(0).TryGet(hot, 7, out _));
    }
}
