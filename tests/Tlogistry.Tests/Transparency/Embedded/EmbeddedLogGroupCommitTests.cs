using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Tiles;

namespace Tlogistry.Tests.Transparency.Embedded;

/// <summary>
/// Group commit (appends that wait share one tile write, checkpoint and fsync wave) and the
/// start without a full scan (tiles checked against the checkpoint when they are read).
/// </summary>
public sealed class EmbeddedLogGroupCommitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Leaf(int i) => Encoding.UTF8.GetBytes($"leaf {i}");

    private static EmbeddedLog Open(string dir) => EmbeddedLog.Open(dir, NullLogger.Instance);

    /// <summary>Starts an append whose preparation holds the committer until released, so the appends made meanwhile form the next batch.</summary>
    private static async Task<(Task<AppendedLeaf> Held, ManualResetEventSlim Release)> HoldCommitterAsync(EmbeddedLog log, byte[] leaf, CancellationToken cancellationToken = default)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new ManualResetEventSlim();
        var held = log.AppendLeafAsync(leaf, cancellationToken, (_, _) =>
        {
            entered.SetResult();
            release.Wait(TimeSpan.FromMinutes(2));
        });
        await entered.Task.WaitAsync(Ct);
        return (held, release);
    }

    [Fact]
    public async Task AppendsThatWaitShareOneCheckpointAndEachGetsItsOwnIndexAndProof()
    {
        using var dir = new TempDirectory();
        using var log = Open(dir.Path);
        var (held, release) = await HoldCommitterAsync(log, Leaf(0), Ct);
        var waiting = Enumerable.Range(1, 99).Select(i => log.AppendLeafAsync(Leaf(i), Ct)).ToList();
        release.Set();
        var first = await held;
        var rest = await Task.WhenAll(waiting);

        Assert.Equal(1, first.Checkpoint.Checkpoint.Size);
        Assert.All(rest, a => Assert.Equal(100, a.Checkpoint.Checkpoint.Size));
        Assert.Equal(Enumerable.Range(1, 99).Select(i => (long)i), rest.Select(a => a.Index));
        for (var i = 0; i < rest.Length; i++)
        {
            MerkleProof.VerifyInclusion(rest[i].Index, 100, Rfc6962.LeafHash(Leaf(i + 1)), rest[i].Proof, rest[i].Checkpoint.Checkpoint.RootHash);
        }

        // One checkpoint covers the whole batch, signed by the log's key.
        var opened = Checkpoint.Parse(NoteOpener.Open(rest[0].Checkpoint.Note, [NoteVerifiers.FromVkey(log.VerifierKey)]).Text);
        Assert.Equal(100, opened.Size);
    }

    [Fact]
    public async Task ABatchWhoseDurableWriteFailsFailsEveryCallerAndNothingAfterIsAcknowledged()
    {
        using var dir = new TempDirectory();
        byte[] rootBefore;
        using (var log = Open(dir.Path))
        {
            var (held, release) = await HoldCommitterAsync(log, Leaf(0), Ct);

            // One preparation stages a file that the commit cannot link in (its name is taken):
            // the batch's durable write fails as a whole.
            var taken = dir.Combine("taken");
            await File.WriteAllTextAsync(taken, "already here", Ct);
            var doomed = Enumerable.Range(1, 20).Select(i => log.AppendLeafAsync(Leaf(i), Ct, i == 7 ? (_, sync) =>
            {
                File.WriteAllText(taken + ".new", "staged");
                sync.Add(taken + ".new", taken, replace: false);
            }
            : null)).ToList();
            release.Set();
            rootBefore = (await held).Checkpoint.Checkpoint.RootHash;

            foreach (var append in doomed)
            {
                var e = await Assert.ThrowsAsync<InvalidOperationException>(() => append);
                Assert.Contains("append failed", e.Message, StringComparison.Ordinal);
            }

            Assert.Equal(1, log.Size);
            var after = await Assert.ThrowsAsync<InvalidOperationException>(() => log.AppendLeafAsync(Leaf(99), Ct));
            Assert.Contains("closed after a failed append", after.Message, StringComparison.Ordinal);
            Assert.Throws<InvalidOperationException>(log.CheckReadable);
        }

        // A restart settles on the last durable checkpoint and takes appends again.
        using var reopened = Open(dir.Path);
        Assert.Equal(1, reopened.Size);
        Assert.Equal(rootBefore, reopened.LatestCheckpoint.Checkpoint.RootHash);
        var next = await reopened.AppendLeafAsync(Leaf(1), Ct);
        Assert.Equal(1, next.Index);
        Assert.Equal(Leaf(0), reopened.ReadLeaf(0, reopened.LatestCheckpoint));
    }

    [Fact]
    public async Task ACallerCancelledBeforeItsBatchAppendsNothingAndOneCancelledInFlightIsToldItsLeafIsAppended()
    {
        using var dir = new TempDirectory();
        using var log = Open(dir.Path);
        using var inFlight = new CancellationTokenSource();
        using var queued = new CancellationTokenSource();
        var (held, release) = await HoldCommitterAsync(log, Leaf(0), inFlight.Token);
        var withdrawn = log.AppendLeafAsync(Leaf(1), queued.Token);
        var kept = log.AppendLeafAsync(Leaf(2), Ct);

        // Withdrawn before its batch started: never appended.
        await queued.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => withdrawn);

        // Cancelled while its batch is being written: the leaf is appended and the caller told so,
        // never answered "cancelled" for a leaf the log holds.
        await inFlight.CancelAsync();
        Assert.False(held.IsCompleted);
        release.Set();
        var first = await held;
        var answer = await kept;

        Assert.Equal((0L, 1L, 2L), (first.Index, answer.Index, log.Size));
        Assert.Equal(Leaf(0), log.ReadLeaf(0, log.LatestCheckpoint));
        Assert.Equal(Leaf(2), log.ReadLeaf(1, log.LatestCheckpoint));
    }

    [Fact]
    public async Task ACheckpointSignedByAnotherKeyStopsTheLogFromOpening()
    {
        using var mine = new TempDirectory();
        using var other = new TempDirectory();
        foreach (var dir in new[] { mine, other })
        {
            using var log = Open(dir.Path);
            await log.AppendLeafAsync(Leaf(0), Ct);
        }

        // The same tree under another key's checkpoint: its root matches the tiles, its signature does not.
        File.Copy(other.Combine("checkpoint"), mine.Combine("checkpoint"), overwrite: true);
        var error = Assert.Throws<InvalidDataException>(() => Open(mine.Path));
        Assert.Contains("does not verify", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TilesEditedOrTruncatedUnderTheCheckpointAreFoundWhenReadAndByTheFullCheck()
    {
        using var dir = new TempDirectory();
        using (var log = Open(dir.Path))
        {
            await Task.WhenAll(Enumerable.Range(0, 600).Select(i => log.AppendLeafAsync(Leaf(i), Ct)));
        }

        // An edited full entry bundle: the start (which reads only the right edge) goes ahead,
        // the first read of that bundle refuses it, and so do the full check and the read-only open.
        var bundle = dir.Combine(TilePath.Entries(0, TileMath.TileWidth));
        var original = await File.ReadAllBytesAsync(bundle, Ct);
        var edited = (byte[])original.Clone();
        edited[^1] ^= 0x01;
        await File.WriteAllBytesAsync(bundle, edited, Ct);
        using (var log = Open(dir.Path))
        {
            Assert.Equal(Leaf(599), log.ReadLeaf(599, log.LatestCheckpoint));
            var read = Assert.Throws<InvalidDataException>(() => log.ReadLeaf(5, log.LatestCheckpoint));
            Assert.Contains("do not match its checkpoint", read.Message, StringComparison.Ordinal);
            Assert.Throws<InvalidDataException>(log.VerifyAll);
        }

        Assert.Throws<InvalidDataException>(() => EmbeddedLog.OpenReadOnly(dir.Path, NullLogger.Instance));
        await File.WriteAllBytesAsync(bundle, original, Ct);

        // A truncated full hash tile: a proof that needs it is refused, never wrong.
        var tile = dir.Combine(TilePath.Hash(0, 1, TileMath.TileWidth));
        var hashes = await File.ReadAllBytesAsync(tile, Ct);
        await File.WriteAllBytesAsync(tile, hashes[..^32], Ct);
        using (var log = Open(dir.Path))
        {
            Assert.Throws<InvalidDataException>(() => log.InclusionProof(300, 600));
            Assert.Throws<InvalidDataException>(log.VerifyAll);
        }

        // An edited one: the same.
        hashes[40] ^= 0xff;
        await File.WriteAllBytesAsync(tile, hashes, Ct);
        using (var log = Open(dir.Path))
        {
            var proof = Assert.Throws<InvalidDataException>(() => log.InclusionProof(300, 600));
            Assert.Contains("does not match", proof.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ProofsAcrossTileBoundariesAfterARestartMatchTheWholeTreeAndCachesStayBounded()
    {
        const int Size = 65536 + 300;
        using var dir = new TempDirectory();
        var tree = new MerkleTree();
        using (var log = Open(dir.Path))
        {
            for (var start = 0; start < Size; start += EmbeddedLog.MaxBatch)
            {
                var batch = Enumerable.Range(start, Math.Min(EmbeddedLog.MaxBatch, Size - start)).Select(i => log.AppendLeafAsync(Leaf(i), Ct)).ToList();
                await Task.WhenAll(batch);
            }
        }

        for (var i = 0; i < Size; i++)
        {
            tree.Append(Rfc6962.LeafHash(Leaf(i)));
        }

        using var reopened = Open(dir.Path);
        Assert.Equal(tree.Root(), reopened.LatestCheckpoint.Checkpoint.RootHash);
        long[] sizes = [1, 255, 256, 257, 511, 512, 4096, 65535, 65536, 65537, Size];
        foreach (var size in sizes)
        {
            foreach (var index in new long[] { 0, size / 2, size - 1, Math.Max(0, size - 257) })
            {
                Assert.Equal(tree.InclusionProof(index, size), reopened.InclusionProof(index, size));
            }

            foreach (var earlier in sizes.Where(s => s <= size))
            {
                Assert.Equal(tree.ConsistencyProof(earlier, size), reopened.ConsistencyProof(earlier, size));
            }
        }

        // A scan in index order, which reuses the nodes hashed for a leaf's neighbours: the same
        // proofs across tile boundaries, at a size on a tile's edge and on the ragged right edge.
        foreach (var size in new long[] { 257, 65536, Size })
        {
            var scan = reopened.InclusionProofsInOrder(size);
            foreach (var index in Enumerable.Range(0, 600).Select(i => (long)i).Concat(Enumerable.Range(0, 600).Select(i => size - 600 + i)).Where(i => i >= 0 && i < size).Distinct().Order())
            {
                Assert.Equal(tree.InclusionProof(index, size), scan(index));
            }
        }

        // Reading every leaf back goes through the caches, which never exceed their bounds.
        var count = 0;
        await foreach (var (index, leaf) in reopened.ReadLeavesAsync(0, reopened.LatestCheckpoint, Ct))
        {
            Assert.Equal(Leaf((int)index), leaf);
            count++;
        }

        Assert.Equal(Size, count);
        Assert.InRange(reopened.CachedBytes, 1, EmbeddedLog.DefaultHashCacheBytes + EmbeddedLog.DefaultEntryCacheBytes);
    }
}
