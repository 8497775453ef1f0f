using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Ledger;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Notes;

namespace Tlogistry.Tests.Support;

/// <summary>
/// Checks a stopped proxy's data directory from the outside: the checkpoint verifies with
/// the log key, and every indexed sighting's leaf is proven included in that checkpoint.
/// </summary>
internal static class LogAudit
{
    public static int VerifyAll(string dataDir)
    {
        using var log = EmbeddedLog.Open(Path.Combine(dataDir, "log"), TimeProvider.System, NullLogger.Instance);
        var checkpoint = Checkpoint.Parse(NoteOpener.Open(log.LatestCheckpoint.Note, [NoteVerifiers.FromVkey(log.VerifierKey)]).Text);
        var index = new SqliteSightingIndex(Path.Combine(dataDir, "index.db"));
        var count = 0;
        foreach (var s in index.ListAsync(CancellationToken.None).ToBlockingEnumerable())
        {
            var leafHash = Rfc6962.LeafHash(EmbeddedEntry.Encode(s.Entry.IntegratedTime.ToUnixTimeSeconds(), s.Envelope));
            Assert.Equal(s.Entry.Uuid, Convert.ToHexStringLower(leafHash));
            MerkleProof.VerifyInclusion(s.Entry.Index, checkpoint.Size, leafHash, log.InclusionProof(s.Entry.Index, checkpoint.Size), checkpoint.RootHash);
            count++;
        }

        Assert.Equal(checkpoint.Size, count);
        return count;
    }
}
