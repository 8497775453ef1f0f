using System.Security.Cryptography;

namespace Tlogistry.Transparency.Envelopes;

/// <summary>Checks a DSSE envelope's signature against one ECDSA public key (DER SPKI).</summary>
internal static class EnvelopeVerifier
{
    public static bool Verify(DsseEnvelope envelope, ReadOnlySpan<byte> publicKeyDer)
    {
        using var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(publicKeyDer, out _);
        }
        catch (CryptographicException)
        {
            return false;
        }

        var pae = envelope.Pae();
        foreach (var s in envelope.Signatures)
        {
            if (key.VerifyData(pae, s.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
            {
                return true;
            }
        }

        return false;
    }
}
