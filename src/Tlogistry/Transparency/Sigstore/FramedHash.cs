using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// SHA-256 over a list of parts, each preceded by its length (4 bytes, big-endian), so two
/// different lists never hash alike by moving bytes from one part to its neighbour.
/// </summary>
internal static class FramedHash
{
    public static byte[] Sha256(params IEnumerable<byte[]> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var part in parts)
        {
            BinaryPrimitives.WriteInt32BigEndian(length, part.Length);
            hash.AppendData(length);
            hash.AppendData(part);
        }

        return hash.GetHashAndReset();
    }
}
