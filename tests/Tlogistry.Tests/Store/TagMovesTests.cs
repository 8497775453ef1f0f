using Tlogistry.Oci;
using Tlogistry.Store;

namespace Tlogistry.Tests.Store;

/// <summary>What every store promises of its record of moved tags, checked on each.</summary>
public abstract class TagMovesTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private TestStore? _store;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private protected TestStore Store => _store ?? throw new InvalidOperationException("not initialized");

    public async ValueTask InitializeAsync() => _store = await CreateStoreAsync();

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    private protected static Digest D(int n) => Typed.Digest("sha256:" + n.ToString("x64", System.Globalization.CultureInfo.InvariantCulture));

    private protected static Task<MoveObservation> ObserveAsync(ITagMoves moves, string tag, int pinned, int upstream, MoveAnswer answer, DateTimeOffset at, long pinLogIndex = 7) =>
        moves.ObserveMoveAsync(Typed.Tag(tag), D(pinned), D(upstream), pinLogIndex, answer, at, Ct);

    [Fact]
    public async Task AMoveIsOneRowFirstSeenOnceThatCountsEachAnswerAndSurvivesReopen()
    {
        var moves = await Store.OpenAsync();
        var first = await ObserveAsync(moves, "ghcr.io/org/app:v1", 1, 2, MoveAnswer.Refused, T0, pinLogIndex: 41);
        var second = await ObserveAsync(moves, "ghcr.io/org/app:v1", 1, 2, MoveAnswer.ServedPinned, T0.AddMinutes(5), pinLogIndex: 99);
        var third = await ObserveAsync(moves, "ghcr.io/org/app:v1", 1, 2, MoveAnswer.Refused, T0.AddMinutes(1));

        Assert.Equal([true, false, false], new[] { first.FirstSeen, second.FirstSeen, third.FirstSeen });
        var page = await (await Store.OpenAsync()).ListMovesAsync(new MoveQuery(null, null, null, null, 10), Ct);
        var move = Assert.Single(page.Moves);
        Assert.Null(page.Next);
        Assert.Equal(Typed.Tag("ghcr.io/org/app:v1"), move.Tag);
        Assert.Equal((D(1), D(2), 41L), (move.Pinned, move.Upstream, move.PinLogIndex));

        // Last seen only moves forward: an observation that arrives late does not take it back.
        Assert.Equal((T0, T0.AddMinutes(5), 2L, 1L), (move.FirstSeen, move.LastSeen, move.Refusals, move.PinnedServes));
        Assert.Equal(move, third.Move);
    }

    [Fact]
    public async Task EachUpstreamDigestOfATagIsItsOwnMove()
    {
        var moves = await Store.OpenAsync();
        Assert.True((await ObserveAsync(moves, "ghcr.io/org/app:v1", 1, 2, MoveAnswer.Refused, T0)).FirstSeen);
        Assert.True((await ObserveAsync(moves, "ghcr.io/org/app:v1", 1, 3, MoveAnswer.Refused, T0.AddSeconds(1))).FirstSeen);
        Assert.True((await ObserveAsync(moves, "ghcr.io/org/app:v2", 1, 2, MoveAnswer.Refused, T0.AddSeconds(2))).FirstSeen);

        var page = await moves.ListMovesAsync(new MoveQuery(null, null, null, null, 10), Ct);
        Assert.Equal(
            [("ghcr.io/org/app:v2", D(2)), ("ghcr.io/org/app:v1", D(3)), ("ghcr.io/org/app:v1", D(2))],
            page.Moves.Select(m => (m.Tag.Canonical, m.Upstream)));
    }

    [Fact]
    public async Task PagesFollowedByTheirCursorListEveryMoveOnceNewestFirstThroughTies()
    {
        var moves = await Store.OpenAsync();
        var expected = new List<(string Tag, DateTimeOffset At)>();
        for (var i = 0; i < 23; i++)
        {
            // Groups of three share a last-seen time, so pages end inside a tie.
            var at = T0.AddSeconds(i / 3).AddTicks(30);
            var tag = $"ghcr.io/org/app:t{i}";
            await ObserveAsync(moves, tag, 1, 2, MoveAnswer.Refused, at);
            expected.Add((tag, MoveCursor.FromMicros(MoveCursor.Micros(at))));
        }

        var seen = new List<TagMove>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = await moves.ListMovesAsync(new MoveQuery(null, null, null, after, 5), Ct);
            Assert.InRange(page.Moves.Count, 1, 5);
            seen.AddRange(page.Moves);
            after = page.Next;
            pages++;
        }
        while (after is not null);

        Assert.Equal(5, pages);
        Assert.Equal(expected.Count, seen.Select(m => m.Tag).Distinct().Count());
        Assert.Equal(expected.Select(e => e.At).OrderDescending(), seen.Select(m => m.LastSeen));
        Assert.Equal(expected.Select(e => e.Tag).Order(StringComparer.Ordinal), seen.Select(m => m.Tag.Canonical).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task FiltersSelectByRegistryImageAndLastSeen()
    {
        var moves = await Store.OpenAsync();
        await ObserveAsync(moves, "ghcr.io/org/app:v1", 1, 2, MoveAnswer.Refused, T0);
        await ObserveAsync(moves, "ghcr.io/org/other:v1", 1, 2, MoveAnswer.Refused, T0.AddHours(1));
        await ObserveAsync(moves, "index.docker.io/library/alpine:3", 1, 2, MoveAnswer.Refused, T0.AddHours(2));

        async Task<string[]> TagsAsync(MoveQuery q) => [.. (await moves.ListMovesAsync(q, Ct)).Moves.Select(m => m.Tag.Canonical)];

        Assert.Equal(["ghcr.io/org/other:v1", "ghcr.io/org/app:v1"], await TagsAsync(new MoveQuery("ghcr.io", null, null, null, 10)));
        Assert.Equal(["index.docker.io/library/alpine:3"], await TagsAsync(new MoveQuery("docker.io", null, null, null, 10)));
        Assert.Equal(["ghcr.io/org/app:v1"], await TagsAsync(new MoveQuery(null, Typed.Image("ghcr.io/org/app").Canonical, null, null, 10)));
        Assert.Equal(["index.docker.io/library/alpine:3", "ghcr.io/org/other:v1"], await TagsAsync(new MoveQuery(null, null, T0.AddHours(1), null, 10)));
        Assert.Empty(await TagsAsync(new MoveQuery("ghcr.io", null, T0.AddHours(2), null, 10)));
    }

    [Fact]
    public async Task RowsBeyondTheBoundAreTheOnesLastSeenLongestAgo()
    {
        const int bound = 10;
        var moves = await Store.OpenAsync(maxMoveRows: bound);
        for (var i = 0; i < 300; i++)
        {
            await ObserveAsync(moves, $"ghcr.io/org/app:t{i}", 1, i + 2, MoveAnswer.Refused, T0.AddSeconds(i));
        }

        // An old move seen again is newest again, and stays.
        Assert.False((await ObserveAsync(moves, "ghcr.io/org/app:t295", 1, 297, MoveAnswer.Refused, T0.AddSeconds(1000))).FirstSeen);
        await ObserveAsync(moves, "ghcr.io/org/app:new", 1, 2, MoveAnswer.Refused, T0.AddSeconds(1001));

        var page = await (await Store.OpenAsync(maxMoveRows: bound)).ListMovesAsync(new MoveQuery(null, null, null, null, ITagMoves.MaxPage), Ct);
        Assert.Equal(bound, page.Moves.Count);
        Assert.Equal(
            ["ghcr.io/org/app:new", "ghcr.io/org/app:t295", .. Enumerable.Range(290, 10).Reverse().Where(i => i != 295).Select(i => $"ghcr.io/org/app:t{i}").Take(bound - 2)],
            page.Moves.Select(m => m.Tag.Canonical));
    }

    [Fact]
    public async Task ATagThatKeepsMovingKeepsItsLatestUpstreamDigestsAndIsAnnouncedNoMoreThanTheCap()
    {
        var moves = await Store.OpenAsync();
        var firsts = 0;
        for (var i = 0; i < 50; i++)
        {
            firsts += (await ObserveAsync(moves, "evil.example/x:1", 1, 100 + i, MoveAnswer.Refused, T0.AddSeconds(i))).FirstSeen ? 1 : 0;
        }

        // Each of the first digests is its own move; past the cap none is announced again.
        Assert.Equal(ITagMoves.MaxUpstreamsPerPin, firsts);
        var page = await moves.ListMovesAsync(new MoveQuery(null, null, null, null, ITagMoves.MaxPage), Ct);
        Assert.Equal(Enumerable.Range(100 + 50 - ITagMoves.MaxUpstreamsPerPin, ITagMoves.MaxUpstreamsPerPin).Reverse().Select(D), page.Moves.Select(m => m.Upstream));
    }

    [Fact]
    public async Task ARegistryFloodingTheRecordDoesNotEvictAnotherRegistrysMoves()
    {
        const int bound = 100;
        var moves = await Store.OpenAsync(maxMoveRows: bound);
        for (var i = 0; i < 5; i++)
        {
            await ObserveAsync(moves, $"ghcr.io/org/app:v{i}", 1, 2, MoveAnswer.Refused, T0.AddSeconds(i));
        }

        for (var i = 0; i < 1000; i++)
        {
            await ObserveAsync(moves, $"evil.example/x:{i}", 1, 2, MoveAnswer.Refused, T0.AddSeconds(10 + i));
        }

        var legitimate = await moves.ListMovesAsync(new MoveQuery("ghcr.io", null, null, null, ITagMoves.MaxPage), Ct);
        Assert.Equal(Enumerable.Range(0, 5).Reverse().Select(i => $"ghcr.io/org/app:v{i}"), legitimate.Moves.Select(m => m.Tag.Canonical));
        var all = await moves.ListMovesAsync(new MoveQuery(null, null, null, null, ITagMoves.MaxPage), Ct);
        Assert.Equal(bound, all.Moves.Count);
    }

    [Fact]
    public async Task ACursorTheStoreDidNotGiveOutIsRefused()
    {
        var moves = await Store.OpenAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => moves.ListMovesAsync(new MoveQuery(null, null, null, "'; DROP TABLE x", 10), Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => moves.ListMovesAsync(new MoveQuery(null, null, null, "-1-2", 10), Ct));
    }

    private protected abstract Task<TestStore> CreateStoreAsync();
}

public sealed class SqliteTagMovesTests : TagMovesTests
{
    private protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());
}

public sealed class PostgresTagMovesTests : TagMovesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoReplicasObservingTheSameMovesAtOnceRecordEachFirstExactlyOnce()
    {
        var a = await Store.OpenAsync();
        var b = await Store.OpenAsync();
        const int perReplica = 40;
        const int distinct = 4;
        var at = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var observations = await Task.WhenAll(
            Enumerable.Range(0, perReplica * 2).Select(i => Task.Run(
                () => ObserveAsync(i % 2 == 0 ? a : b, $"ghcr.io/org/app:v{i % distinct}", 1, 2, i % 3 == 0 ? MoveAnswer.ServedPinned : MoveAnswer.Refused, at.AddMilliseconds(i)),
                Ct)));

        foreach (var group in observations.GroupBy(o => o.Move.Tag))
        {
            Assert.Equal(1, group.Count(o => o.FirstSeen));
        }

        var page = await a.ListMovesAsync(new MoveQuery(null, null, null, null, 100), Ct);
        Assert.Equal(distinct, page.Moves.Count);
        Assert.Equal(perReplica * 2, page.Moves.Sum(m => m.Refusals + m.PinnedServes));
        Assert.Equal(Enumerable.Range(0, perReplica * 2).Count(i => i % 3 == 0), page.Moves.Sum(m => m.PinnedServes));
    }

    private protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();
}
