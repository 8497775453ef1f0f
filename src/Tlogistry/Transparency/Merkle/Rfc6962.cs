using System.Security.Cryptography;

namespace Tlogistry.Transparency.Merkle;

/// <summary>
/// RFC 6962 §2.1 hashing with SHA-256. The 0x00 / 0x01 prefixes keep leaf and interior
/// hashes in separate domains, so a leaf can never be passed off as a node (second preimage).
/// </summary>
internal static class Rfc6962
{
    public const int HashSize = 32;

    private const byte LeafPrefix = 0x00;
    private const byte NodePrefix = 0x01;

    // Inputs up to this size are assembled on the stack; larger leaves are streamed.
    private const int StackLimit = 512;

    /// <summary>MTH({}) = SHA-256 of the empty string.</summary>
    public static byte[] EmptyRoot() => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>SHA-256(0x00 || leaf).</summary>
    public static byte[] LeafHash(ReadOnlySpan<byte> leaf) => Hash(LeafPrefix, leaf, []);

    /// <summary>SHA-256(0x01 || left || right). Any lengths are accepted; the tree only ever passes 32-byte hashes.</summary>
    public static byte[] NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right) => Hash(NodePrefix, left, right);

    private static byte[] Hash(byte prefix, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var length = 1 + a.Length + b.Length;
        if (length <= StackLimit)
        {
            Span<byte> buffer = stackalloc byte[length];
            buffer[0] = prefix;
            a.CopyTo(buffer[1..]);
            b.CopyTo(buffer[(1 + a.Length)..]);
            return SHA256.HashData(buffer);
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData([prefix]);
        hash.AppendData(a);
        hash.AppendData(b);
        return hash.GetHashAndReset();
    }
}
