using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Moves;
using Tlogistry.Oci;
using Tlogistry.Store;

namespace Tlogistry.Tests.Moves;

/// <summary>The recorder between a mismatch answer and the record: announces each move once, and never fails the pull.</summary>
public sealed class MoveRecorderTests
{
    private static readonly Digest Pinned = Typed.Digest("sha256:" + new string('1', 64));
    private static readonly Digest Upstream = Typed.Digest("sha256:" + new string('2', 64));

    [Fact]
    public async Task TwoRecordersOnOneStoreAnnounceAMoveOnceToEveryAnnouncerPastOneThatThrows()
    {
        using var dir = new TempDirectory();
        var store = new SqliteSightingIndex(dir.Combine("index.db"));
        var told = new List<TagMove>();
        IMoveAnnouncer[] announcers = [new Throwing(), new Collecting(told)];
        var a = new MoveRecorder(store, announcers, TimeProvider.System, NullLogger<MoveRecorder>.Instance);
        var b = new MoveRecorder(new SqliteSightingIndex(dir.Combine("index.db")), announcers, TimeProvider.System, NullLogger<MoveRecorder>.Instance);
        var tag = Typed.Tag("ghcr.io/org/app:v1");

        var observations = new List<MoveObservation?>();
        for (var i = 0; i < 6; i++)
        {
            observations.Add(await (i % 2 == 0 ? a : b).RecordAsync(tag, Pinned, Upstream, 3, i % 3 == 0 ? MoveAnswer.ServedPinned : MoveAnswer.Refused));
        }

        Assert.Single(told);
        Assert.Equal((tag, Pinned, Upstream, 3L), (told[0].Tag, told[0].Pinned, told[0].Upstream, told[0].PinLogIndex));
        Assert.Equal(1, observations.Count(o => o!.FirstSeen));
        Assert.Equal((4L, 2L), (observations[^1]!.Move.Refusals, observations[^1]!.Move.PinnedServes));
    }

    [Fact]
    public async Task AStoreThatFailsIsReportedAsNotRecordedWithoutThrowingOrAnnouncing()
    {
        var told = new List<TagMove>();
        var recorder = new MoveRecorder(new FailingMoves(), [new Collecting(told)], TimeProvider.System, NullLogger<MoveRecorder>.Instance);

        Assert.Null(await recorder.RecordAsync(Typed.Tag("ghcr.io/org/app:v1"), Pinned, Upstream, 3, MoveAnswer.Refused));
        Assert.Empty(told);
    }

    private sealed class Collecting(List<TagMove> told) : IMoveAnnouncer
    {
        public void Announce(TagMove move) => told.Add(move);
    }

    private sealed class Throwing : IMoveAnnouncer
    {
        public void Announce(TagMove move) => throw new InvalidOperationException("announcer down");
    }

    private sealed class FailingMoves : ITagMoves
    {
        public Task<MoveObservation> ObserveMoveAsync(TagReference tag, Digest pinned, Digest upstream, long pinLogIndex, MoveAnswer answer, DateTimeOffset at, CancellationToken cancellationToken) =>
            throw new IOException("disk on fire");

        public Task<MovePage> ListMovesAsync(MoveQuery query, CancellationToken cancellationToken) => throw new IOException("disk on fire");
    }
}
