namespace Tlogistry.Transparency.Merkle;

/// <summary>
/// A Merkle proof was rejected. Proofs come from untrusted parties, so every failure
/// (bad sizes, malformed hashes, wrong length, root mismatch) surfaces as this one type.
/// </summary>
internal sealed class MerkleProofException : Exception
{
    public MerkleProofException()
        : base("Merkle proof verification failed.")
    {
    }

    public MerkleProofException(string message)
        : base(message)
    {
    }

    public MerkleProofException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
