using System.Security.Cryptography;

namespace Tlogistry.Transparency.Notes;

/// <summary>Loads and checks NIST P-256 public keys given as DER SubjectPublicKeyInfo.</summary>
internal static class EcdsaP256
{
    private static readonly string P256Oid = ECCurve.NamedCurves.nistP256.Oid.Value!;

    /// <summary>Returns the public parameters, or throws <see cref="ArgumentException"/> if the bytes are not exactly one P-256 SPKI.</summary>
    public static ECParameters ImportPublicKey(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        using var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out var read);
            if (read != subjectPublicKeyInfo.Length)
            {
                throw new ArgumentException("trailing bytes after the public key", nameof(subjectPublicKeyInfo));
            }
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException("not a DER EC SubjectPublicKeyInfo", nameof(subjectPublicKeyInfo), e);
        }
        catch (PlatformNotSupportedException e)
        {
            // A well-formed SPKI naming a curve OpenSSL does not know.
            throw new ArgumentException("only NIST P-256 keys are supported", nameof(subjectPublicKeyInfo), e);
        }

        RequireP256(key);
        return key.ExportParameters(includePrivateParameters: false);
    }

    public static void RequireP256(ECDsa key)
    {
        var curve = key.ExportParameters(includePrivateParameters: false).Curve;
        if (!curve.IsNamed || curve.Oid.Value != P256Oid)
        {
            throw new ArgumentException("only NIST P-256 keys are supported", nameof(key));
        }
    }

    /// <summary>Checks a DER ECDSA signature over SHA-256 of <paramref name="data"/>; malformed DER counts as invalid.</summary>
    public static bool VerifyDer(ECParameters publicKey, byte[] data, byte[] signature)
    {
        using var key = ECDsa.Create(publicKey);
        try
        {
            return key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
