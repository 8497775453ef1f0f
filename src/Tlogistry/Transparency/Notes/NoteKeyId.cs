using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Tlogistry.Transparency.Notes;

/// <summary>Computes the 32-bit key IDs that pair a signature line with a verifier key.</summary>
internal static class NoteKeyId
{
    /// <summary>The recommended rule: SHA-256(name || 0x0A || type || key)[:4], big-endian.</summary>
    public static uint Compute(string name, NoteKeyType type, ReadOnlySpan<byte> key)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[nameBytes.Length + 2 + key.Length];
        nameBytes.CopyTo(input, 0);
        input[nameBytes.Length] = (byte)'\n';
        input[nameBytes.Length + 1] = (byte)type;
        key.CopyTo(input.AsSpan(nameBytes.Length + 2));
        return FirstFourBytes(SHA256.HashData(input));
    }

    public static uint Ed25519(string name, ReadOnlySpan<byte> publicKey) =>
        Compute(name, NoteKeyType.Ed25519, publicKey);

    /// <summary>ECDSA keys predate the naming rule: their ID hashes only the DER SubjectPublicKeyInfo.</summary>
    public static uint Ecdsa(ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        FirstFourBytes(SHA256.HashData(subjectPublicKeyInfo));

    /// <summary>RFC 6962 keys hash the log ID (SHA-256 of the SPKI) in place of the key itself.</summary>
    public static uint Rfc6962(string name, ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        Compute(name, NoteKeyType.Rfc6962TreeHead, SHA256.HashData(subjectPublicKeyInfo));

    /// <summary>The eight lowercase hex digits used in key strings.</summary>
    public static string ToHex(uint keyId) => keyId.ToString("x8", CultureInfo.InvariantCulture);

    private static uint FirstFourBytes(ReadOnlySpan<byte> hash) => BinaryPrimitives.ReadUInt32BigEndian(hash);
}
