using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Ledger;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Witness;

namespace Tlogistry.Tests.Ledger;

/// <summary>
/// An older checkpoint proven to be a prefix of the remembered one is not proven again (a warm
/// process reads many pins under the same checkpoint), while a checkpoint of the same size with
/// another root, signed by the log's own key, is still refused: what is remembered is the tree,
/// never its size alone.
/// </summary>
public sealed class LogHistoryProvenTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class CountingSource(ICheckpointSource inner) : ICheckpointSource
    {
        public int Proofs;

        public string Description => inner.Description;

        public Task<string> ReadCheckpointAsync(CancellationToken cancellationToken) => inner.ReadCheckpointAsync(cancellationToken);

        public Task<IReadOnlyList<byte[]>> ConsistencyProofAsync(long size1, long size2, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Proofs);
            return inner.ConsistencyProofAsync(size1, size2, cancellationToken);
        }
    }

    [Fact]
    public async Task AnOlderTreeIsProvenOnceAndAForgedTreeOfTheSameSizeIsStillRefused()
    {
        using var dir = new TempDirectory();
        using var log = EmbeddedLog.Open(dir.Combine("log"), NullLogger.Instance);
        SignedCheckpoint? atTwo = null;
        for (var i = 0; i < 5; i++)
        {
            var appended = await log.AppendLeafAsync(Encoding.UTF8.GetBytes($"leaf {i}"), Ct);
            if (i == 1)
            {
                atTwo = appended.Checkpoint;
            }
        }

        await using var store = new SqliteTestStore();
        var index = await store.OpenAsync();
        var source = new CountingSource(new EmbeddedCheckpoints(log));
        var history = new LogHistory(index, source, log.Trusted, NullLogger<LogHistory>.Instance);
        await history.ObserveAsync(log.LatestCheckpoint.Note, Ct);

        for (var i = 0; i < 3; i++)
        {
            await history.ObserveAsync(atTwo!.Note, Ct);
        }

        Assert.Equal(1, source.Proofs);

        // The log's key signs a tree of size 2 that is not the log's: proven anew, and refused.
        var key = LogKey.LoadOrCreate(dir.Combine("log", "log-key"));
        var forged = NoteOpener.Sign(new Checkpoint(log.Origin, 2, new byte[32], []).Format(), key);
        await Assert.ThrowsAsync<LogConsistencyException>(() => history.ObserveAsync(forged, Ct));
        Assert.Equal(2, source.Proofs);
    }
}
