using System.Security.Cryptography;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Notes;

namespace Tlogistry.Transparency.Witness;

/// <summary>
/// Whether a newer checkpoint of a log extends an older one, decided without I/O: the caller
/// asks <see cref="NeedsProof"/>, fetches the consistency proof if so, and hands it to
/// <see cref="Require"/>. Every failure names both sizes and roots, the evidence of a fork.
/// </summary>
internal static class Consistency
{
    /// <summary>True when only a consistency proof can tell (the older tree is non-empty and smaller).</summary>
    public static bool NeedsProof(Checkpoint older, Checkpoint newer)
    {
        ArgumentNullException.ThrowIfNull(older);
        ArgumentNullException.ThrowIfNull(newer);
        return older.Size > 0 && older.Size < newer.Size;
    }

    /// <summary>Throws <see cref="LogConsistencyException"/> unless <paramref name="newer"/>'s tree extends <paramref name="older"/>'s.</summary>
    /// <param name="proof">PROOF(older.Size, newer tree) when <see cref="NeedsProof"/>, else ignored.</param>
    public static void Require(Checkpoint older, Checkpoint newer, IReadOnlyList<byte[]>? proof)
    {
        ArgumentNullException.ThrowIfNull(older);
        ArgumentNullException.ThrowIfNull(newer);
        if (older.Origin != newer.Origin)
        {
            throw new LogConsistencyException($"checkpoints of two logs cannot be compared: \"{older.Origin}\" and \"{newer.Origin}\"");
        }

        if (older.Size > newer.Size)
        {
            throw new LogConsistencyException(
                $"log {newer.Origin} went back: its checkpoint has size {newer.Size} (root {Root(newer)}) but it signed size {older.Size} (root {Root(older)}) before; a log never shrinks, so this is a rollback or a fork");
        }

        if (older.Size == newer.Size)
        {
            if (!CryptographicOperations.FixedTimeEquals(older.RootHash, newer.RootHash))
            {
                throw new LogConsistencyException(
                    $"log {newer.Origin} has forked: two checkpoints of size {newer.Size} with different roots {Root(older)} and {Root(newer)}");
            }

            return;
        }

        if (older.Size == 0)
        {
            // Every tree extends the empty one.
            return;
        }

        try
        {
            MerkleProof.VerifyConsistency(older.Size, newer.Size, proof ?? [], older.RootHash, newer.RootHash);
        }
        catch (MerkleProofException e)
        {
            throw new LogConsistencyException(
                $"log {newer.Origin} has forked: the checkpoint of size {newer.Size} (root {Root(newer)}) is not consistent with the one of size {older.Size} (root {Root(older)}): {e.Message}",
                e);
        }
    }

    private static string Root(Checkpoint c) => Convert.ToBase64String(c.RootHash);
}
