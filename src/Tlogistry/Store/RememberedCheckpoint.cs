using Tlogistry.Transparency.Notes;

namespace Tlogistry.Store;

/// <summary>
/// A checkpoint of a log that this instance verified (signed by the log's key), with the
/// signed note as evidence. The store keeps the largest one per origin: a log that later
/// shows a smaller tree, or one that does not extend it, went back on what it signed.
/// </summary>
internal sealed record RememberedCheckpoint(string Origin, long Size, byte[] RootHash, string Note)
{
    public Checkpoint Checkpoint => new(Origin, Size, RootHash, []);

    public static RememberedCheckpoint Of(Checkpoint checkpoint, string note)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return new(checkpoint.Origin, checkpoint.Size, checkpoint.RootHash, note);
    }
}
