using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Store;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Notes;

namespace Tlogistry.Tests.Support.Data;

/// <summary>
/// Checks a stopped proxy's data directory from the outside: the checkpoint verifies with
/// the log key, and every indexed sighting's leaf is proven included in that checkpoint.
/// </summary>
internal static class LogAudit
{
    public static int VerifyAll(string dataDir)
    {
        using var log = EmbeddedLog.Open(Path.Combine(dataDir, "log"), NullLogger.Instance);
        var checkpoint = Checkpoint.Parse(NoteOpener.Open(log.LatestCheckpoint.Note, [NoteVerifiers.FromVkey(log.VerifierKey)]).Text);
        var index = new SqliteSightingIndex(Path.Combine(dataDir, "index.db"));
        var count = 0;
        var page = index.ListAsync(0, int.MaxValue, CancellationToken.None).GetAwaiter().GetResult();
        foreach (var s in page.Sightings)
        {
            // The stored leaf holds exactly the stored envelope, and is in the final tree.
            var entry = s.Bundle.Entry;
            var envelope = EmbeddedEntry.Read(entry.CanonicalizedBody, log.Envelopes).Envelope;
            Assert.Equal(s.Bundle.Envelope!.ToJson(), Tlogistry.Transparency.Envelopes.DsseEnvelope.Parse(envelope).ToJson());
            var leafHash = Rfc6962.LeafHash(entry.CanonicalizedBody);
            MerkleProof.VerifyInclusion(entry.LogIndex, checkpoint.Size, leafHash, log.InclusionProof(entry.LogIndex, checkpoint.Size), checkpoint.RootHash);
            count++;
        }

        Assert.Equal(checkpoint.Size, count);
        return count;
    }
}
