using Tlogistry.Transparency.Notes;

namespace Tlogistry.Store;

/// <summary>
/// A checkpoint of a log that this instance verified (signed by the log's key), with the
/// signed note as evidence. The store keeps the largest one per log, keyed by
/// <see cref="Log"/>, the log's identity (<see cref="Transparency.Sigstore.LogIdentity"/>: its key), never by
/// the origin line the log signs: a log listed by a Rekor v1 ID may sign any origin, and a
/// second origin must not start a second, private history beside the first.
/// </summary>
internal sealed record RememberedCheckpoint(string Log, long Size, byte[] RootHash, string Note)
{
    /// <summary>The checkpoint as signed, origin included (read from the note, which verified before it was stored).</summary>
    public Checkpoint Checkpoint => new(Transparency.Notes.Checkpoint.Parse(SignedNote.Parse(Note).Text).Origin, Size, RootHash, []);

    public static RememberedCheckpoint Of(string log, Checkpoint checkpoint, string note)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return new(log, checkpoint.Size, checkpoint.RootHash, note);
    }
}
