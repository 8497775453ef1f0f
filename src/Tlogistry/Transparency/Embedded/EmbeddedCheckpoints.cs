namespace Tlogistry.Transparency.Embedded;

/// <summary>
/// The embedded log as a checkpoint source: its latest checkpoint, and consistency proofs
/// computed from its own tree, so a remembered checkpoint is checked without any network.
/// </summary>
internal sealed class EmbeddedCheckpoints : ICheckpointSource
{
    private readonly EmbeddedLog _log;

    public EmbeddedCheckpoints(EmbeddedLog log)
    {
        _log = log;
    }

    public string Description => $"the embedded log ({_log.Origin})";

    public Task<string> ReadCheckpointAsync(CancellationToken cancellationToken) => Task.FromResult(_log.LatestCheckpoint.Note);

    public Task<IReadOnlyList<byte[]>> ConsistencyProofAsync(long size1, long size2, CancellationToken cancellationToken)
    {
        if (size1 < 1 || size1 > size2 || size2 > _log.Size)
        {
            throw new LogUnavailableException($"{Description} has no consistency proof from size {size1} to {size2}: it holds {_log.Size} entries");
        }

        return Task.FromResult(_log.ConsistencyProof(size1, size2));
    }
}
