using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// Rekor v1's inclusion promise: the log's signature over the entry's canonical JSON
/// <c>{"body","integratedTime","logID","logIndex"}</c> (keys sorted, no spaces, logID in
/// hex). It binds the time and global index, which the inclusion proof alone does not.
/// </summary>
internal static class SignedEntryTimestamp
{
    /// <summary>The exact bytes a SET signs.</summary>
    public static byte[] CanonicalPayload(ReadOnlySpan<byte> body, long integratedTime, ReadOnlySpan<byte> logId, long logIndex)
    {
        // Base64 and hex never need JSON escaping, so the canonical form can be written directly.
        var json = string.Create(
            CultureInfo.InvariantCulture,
            $"{{\"body\":\"{Convert.ToBase64String(body)}\",\"integratedTime\":{integratedTime},\"logID\":\"{Convert.ToHexStringLower(logId)}\",\"logIndex\":{logIndex}}}");
        return Encoding.UTF8.GetBytes(json);
    }

    public static byte[] CanonicalPayload(TlogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return CanonicalPayload(entry.CanonicalizedBody, entry.IntegratedTime, entry.LogId, entry.LogIndex);
    }

    /// <summary>Checks the entry's SET with the log's key (ECDSA or Ed25519 SPKI); false when it has none.</summary>
    public static bool Verify(TlogEntry entry, ReadOnlySpan<byte> logKeyDer)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.SignedEntryTimestamp is { } set
            && PublicKeySignature.VerifyData(logKeyDer, CanonicalPayload(entry), set);
    }

    /// <summary>Signs with any signer over the canonical payload (for a log keeping its key elsewhere).</summary>
    public static byte[] Sign(TlogEntry entry, Func<byte[], byte[]> sign)
    {
        ArgumentNullException.ThrowIfNull(sign);
        return sign(CanonicalPayload(entry));
    }

    /// <summary>A DER ECDSA signature over SHA-256 of the payload, as rekor.sigstore.dev issues.</summary>
    public static byte[] Sign(TlogEntry entry, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Sign(entry, payload => key.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    /// <summary>A pure Ed25519 signature over the payload, from a 32-byte seed.</summary>
    public static byte[] SignEd25519(TlogEntry entry, byte[] seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        if (seed.Length != Ed25519.SecretKeySize)
        {
            throw new ArgumentException($"Ed25519 seed must be {Ed25519.SecretKeySize} bytes", nameof(seed));
        }

        return Sign(entry, payload =>
        {
            var signature = new byte[Ed25519.SignatureSize];
            Ed25519.Sign(seed, 0, payload, 0, payload.Length, signature, 0);
            return signature;
        });
    }
}
