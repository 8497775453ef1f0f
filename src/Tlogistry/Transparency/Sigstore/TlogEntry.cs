namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// One transparency log entry as a Sigstore bundle carries it (and as Rekor v2 answers a
/// create): where it sits, which log, what kind, the exact leaf bytes, and the proofs.
/// </summary>
/// <param name="LogIndex">The global index the log reports (for Rekor v1 the one in the SET).</param>
/// <param name="LogId">The log's ID: SHA-256 of its DER key for Rekor v1, the signed-note key hash for tiles logs.</param>
/// <param name="IntegratedTime">Unix seconds; 0 when the log does not say (Rekor v2).</param>
/// <param name="SignedEntryTimestamp">Rekor v1's inclusion promise, or null.</param>
/// <param name="CanonicalizedBody">The leaf exactly as the log hashed it.</param>
internal sealed record TlogEntry(
    long LogIndex,
    byte[] LogId,
    string Kind,
    string Version,
    long IntegratedTime,
    byte[]? SignedEntryTimestamp,
    InclusionProof? InclusionProof,
    byte[] CanonicalizedBody);

/// <summary>An RFC 6962 inclusion proof of a leaf in the tree a signed checkpoint commits to.</summary>
/// <param name="LogIndex">The leaf's index inside this tree (a Rekor v1 shard), not the global index.</param>
/// <param name="Checkpoint">The signed note, exactly as the log sent it.</param>
internal sealed record InclusionProof(long LogIndex, byte[] RootHash, long TreeSize, IReadOnlyList<byte[]> Hashes, string Checkpoint);
