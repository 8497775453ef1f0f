namespace Tlogistry.Transparency;

/// <summary>
/// A log that tells its current checkpoint and proves how its tree grew: a tiles log computes
/// the proof from its hash tiles, Rekor v1 answers it. Everything returned is unverified: a
/// witness checks the checkpoint's signature and the proof against roots it already trusts.
/// </summary>
internal interface ICheckpointSource
{
    string Description { get; }

    /// <summary>The latest signed checkpoint note, exactly as served.</summary>
    Task<string> ReadCheckpointAsync(CancellationToken cancellationToken);

    /// <summary>RFC 6962 PROOF(size1, D[0:size2]) for 1 &lt;= size1 &lt;= size2 &lt;= the current size.</summary>
    Task<IReadOnlyList<byte[]>> ConsistencyProofAsync(long size1, long size2, CancellationToken cancellationToken);
}
