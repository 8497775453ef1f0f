using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// Checks a signature with a key given as DER SubjectPublicKeyInfo, the form Sigstore keeps
/// every key in: ECDSA (DER signature over the curve's customary hash) or Ed25519 (over the
/// message itself). Malformed keys and signatures count as invalid rather than throwing.
/// </summary>
internal static class PublicKeySignature
{
    // SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING (32 bytes) }: the only Ed25519 SPKI shape.
    private static readonly byte[] Ed25519Prefix = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

    /// <summary>The raw 32-byte key when <paramref name="spki"/> is an Ed25519 key, else null.</summary>
    public static byte[]? Ed25519RawKey(ReadOnlySpan<byte> spki) =>
        spki.Length == Ed25519Prefix.Length + Ed25519.PublicKeySize && spki.StartsWith(Ed25519Prefix)
            ? spki[Ed25519Prefix.Length..].ToArray()
            : null;

    /// <summary>DER SubjectPublicKeyInfo for a raw Ed25519 key.</summary>
    public static byte[] Ed25519Spki(ReadOnlySpan<byte> rawKey)
    {
        if (rawKey.Length != Ed25519.PublicKeySize)
        {
            throw new ArgumentException($"Ed25519 public key must be {Ed25519.PublicKeySize} bytes", nameof(rawKey));
        }

        return [.. Ed25519Prefix, .. rawKey];
    }

    /// <summary>Checks a signature over <paramref name="data"/>.</summary>
    public static bool VerifyData(ReadOnlySpan<byte> spki, byte[] data, byte[] signature)
    {
        if (Ed25519RawKey(spki) is { } raw)
        {
            return signature.Length == Ed25519.SignatureSize
                && Ed25519.Verify(signature, 0, raw, 0, data, 0, data.Length);
        }

        using var key = ImportEcdsa(spki);
        return key is not null && Try(() => key.VerifyData(data, signature, HashFor(key), DSASignatureFormat.Rfc3279DerSequence));
    }

    /// <summary>
    /// Checks a signature over an artifact known only by its digest. Pure Ed25519 signs the
    /// message, not a digest, so only ECDSA keys can be checked this way.
    /// </summary>
    public static bool VerifyDigest(ReadOnlySpan<byte> spki, byte[] digest, byte[] signature)
    {
        using var key = ImportEcdsa(spki);
        return key is not null
            && digest.Length == HashFor(key).SizeInBytes()
            && Try(() => key.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence));
    }

    private static ECDsa? ImportEcdsa(ReadOnlySpan<byte> spki)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(spki, out var read);
            if (read == spki.Length)
            {
                return key;
            }
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
        {
        }

        key.Dispose();
        return null;
    }

    // Sigstore pairs each curve with its own hash size (P-256/SHA-256, P-384/SHA-384, P-521/SHA-512).
    private static HashAlgorithmName HashFor(ECDsa key) => key.KeySize switch
    {
        <= 256 => HashAlgorithmName.SHA256,
        <= 384 => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA512,
    };

    private static int SizeInBytes(this HashAlgorithmName name) =>
        name == HashAlgorithmName.SHA256 ? 32 : name == HashAlgorithmName.SHA384 ? 48 : 64;

    private static bool Try(Func<bool> verify)
    {
        try
        {
            return verify();
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
