using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tlogistry.Transparency.Envelopes;

namespace Tlogistry.Transparency.Rekor;

/// <summary>The JSON bodies the Rekor v1 client sends, built by hand so their bytes are fixed.</summary>
internal static class RekorV1Requests
{
    /// <summary>
    /// An intoto v0.0.2 proposed entry. Rekor's v0.0.2 types hold the envelope's payload and each
    /// signature as base64 bytes of the envelope's own base64 text, so both are encoded twice
    /// (as rekor's CreateFromArtifactProperties does); publicKey is base64 of the PEM, a
    /// certificate in keyless mode.
    /// </summary>
    public static byte[] IntotoV002(DsseEnvelope envelope, SignerMaterial signer)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(signer);
        if (envelope.Signatures.Count == 0)
        {
            throw new ArgumentException("the envelope has no signature", nameof(envelope));
        }

        var key = Convert.ToBase64String(Encoding.ASCII.GetBytes(VerifierPem(signer)));
        return Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", "0.0.2");
            w.WriteString("kind", "intoto");
            w.WriteStartObject("spec");
            w.WriteStartObject("content");
            w.WriteStartObject("envelope");
            w.WriteString("payload", TwiceBase64(envelope.Payload));
            w.WriteString("payloadType", envelope.PayloadType);
            w.WriteStartArray("signatures");
            foreach (var s in envelope.Signatures)
            {
                w.WriteStartObject();
                if (!string.IsNullOrEmpty(s.KeyId))
                {
                    w.WriteString("keyid", s.KeyId);
                }

                w.WriteString("publicKey", key);
                w.WriteString("sig", TwiceBase64(s.Signature));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    /// <summary>The index search for entries whose subjects or payload include this SHA-256.</summary>
    public static byte[] SearchByHash(ReadOnlySpan<byte> sha256)
    {
        var hash = "sha256:" + Convert.ToHexStringLower(sha256);
        return Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("hash", hash);
            w.WriteEndObject();
        });
    }

    /// <summary>
    /// The index search for entries with this SHA-256 made with this key: strangers' entries
    /// under a popular tag's hash are filtered out by the log instead of fetched and refused.
    /// </summary>
    public static byte[] SearchByHashAndKey(ReadOnlySpan<byte> sha256, SignerMaterial signer)
    {
        var hash = "sha256:" + Convert.ToHexStringLower(sha256);
        return Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("hash", hash);
            w.WriteStartObject("publicKey");
            w.WriteString("format", "x509");
            w.WriteString("content", Convert.ToBase64String(Encoding.ASCII.GetBytes(signer.PublicKeyPem)));
            w.WriteEndObject();
            w.WriteString("operator", "and");
            w.WriteEndObject();
        });
    }

    /// <summary>
    /// The index search for entries with this SHA-256 whose certificate names this e-mail: Rekor
    /// indexes an entry under its certificate's SAN, so strangers' entries under a tag's hash are
    /// filtered out by the log. Only e-mail is searchable; the API has no field for a URI SAN.
    /// </summary>
    public static byte[] SearchByHashAndEmail(ReadOnlySpan<byte> sha256, string email)
    {
        var hash = "sha256:" + Convert.ToHexStringLower(sha256);
        return Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("hash", hash);
            w.WriteString("email", email);
            w.WriteString("operator", "and");
            w.WriteEndObject();
        });
    }

    /// <summary>The hash a sighting of <paramref name="reference"/> is indexed under: SHA-256 of the reference string.</summary>
    public static byte[] ReferenceHash(string reference) => SHA256.HashData(Encoding.UTF8.GetBytes(reference));

    /// <summary>The index search for entries made with this signer's key (x509 format takes PEM).</summary>
    public static byte[] SearchByKey(SignerMaterial signer) =>
        Write(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("publicKey");
            w.WriteString("format", "x509");
            w.WriteString("content", Convert.ToBase64String(Encoding.ASCII.GetBytes(signer.PublicKeyPem)));
            w.WriteEndObject();
            w.WriteEndObject();
        });

    /// <summary>At most 10 UUIDs, the API's limit per call.</summary>
    public static byte[] Retrieve(IReadOnlyCollection<string> uuids)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(uuids.Count, RekorV1Log.RetrievePageSize);
        return Write(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("entryUUIDs");
            foreach (var u in uuids)
            {
                w.WriteStringValue(u);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static string VerifierPem(SignerMaterial signer) =>
        signer.Certificates.Count > 0 ? PemEncoding.WriteString("CERTIFICATE", signer.Certificates[0]) + "\n" : signer.PublicKeyPem + "\n";

    private static string TwiceBase64(byte[] data) => Convert.ToBase64String(Encoding.ASCII.GetBytes(Convert.ToBase64String(data)));

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }

        return buffer.ToArray();
    }
}
