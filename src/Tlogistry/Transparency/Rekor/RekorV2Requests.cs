using System.Security.Cryptography;
using System.Text.Json;
using Tlogistry.Transparency.Envelopes;

namespace Tlogistry.Transparency.Rekor;

/// <summary>The protobuf-JSON bodies the Rekor v2 client sends (bytes as base64).</summary>
internal static class RekorV2Requests
{
    /// <summary>The only key type the instance signs with, and the one hashedrekord needs spelled out.</summary>
    public const string EcdsaP256Sha256 = "PKIX_ECDSA_P256_SHA_256";

    /// <summary>
    /// A <c>CreateEntryRequest</c> with a hashedrekord v0.0.2: a DSSE signature covers the PAE,
    /// so the envelope is logged as SHA-256(PAE) with its one signature. The verifier is the
    /// signer's key, or its leaf certificate in keyless mode.
    /// </summary>
    public static byte[] HashedRekordV002(DsseEnvelope envelope, SignerMaterial signer)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(signer);
        if (envelope.Signatures.Count != 1)
        {
            throw new ArgumentException($"a hashedrekord holds one signature; the envelope has {envelope.Signatures.Count}", nameof(envelope));
        }

        var keyDetails = KeyDetails(signer.PublicKeyDer);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("hashedRekordRequestV002");
            w.WriteString("digest", Convert.ToBase64String(SHA256.HashData(envelope.Pae())));
            w.WriteStartObject("signature");
            w.WriteString("content", Convert.ToBase64String(envelope.Signatures[0].Signature));
            w.WriteStartObject("verifier");
            if (signer.Certificates.Count > 0)
            {
                w.WriteStartObject("x509Certificate");
                w.WriteString("rawBytes", Convert.ToBase64String(signer.Certificates[0]));
            }
            else
            {
                w.WriteStartObject("publicKey");
                w.WriteString("rawBytes", Convert.ToBase64String(signer.PublicKeyDer));
            }

            w.WriteEndObject();
            w.WriteString("keyDetails", keyDetails);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static string KeyDetails(byte[] spki)
    {
        try
        {
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(spki, out _);
            if (key.ExportParameters(false).Curve.Oid.Value == ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                return EcdsaP256Sha256;
            }
        }
        catch (CryptographicException)
        {
            // Not an EC key; refused below.
        }

        throw new NotSupportedException("Rekor v2 entries are written for ECDSA P-256 keys only");
    }
}
