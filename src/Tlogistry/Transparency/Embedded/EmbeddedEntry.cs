using System.Text.Json;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Transparency.Embedded;

/// <summary>
/// A leaf of the embedded log. New leaves are Rekor v1 <c>dsse</c> 0.0.1 bodies (the envelope's
/// hashes and signatures, and the signer's key or, in keyless mode, leaf certificate), so every
/// Sigstore client checks them; the envelope and the integrated time they do not hold are kept
/// in <see cref="EnvelopeRecords"/>. Logs written before hold <c>tlogistry/sighting</c> leaves
/// (the whole envelope and the time in the leaf), which stay readable.
/// </summary>
internal static class EmbeddedEntry
{
    /// <summary>The kind of the leaves written before dsse leaves.</summary>
    public const string Kind = "tlogistry/sighting";

    /// <summary>The dsse 0.0.1 leaf for this envelope (its exact JSON bytes) and signer.</summary>
    public static byte[] Leaf(byte[] envelopeJson, DsseEnvelope envelope, SignerMaterial signer)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(signer);
        var pem = signer.Certificates.Count > 0
            ? DsseV001Body.Pem("CERTIFICATE", signer.Certificates[0])
            : DsseV001Body.Pem("PUBLIC KEY", signer.PublicKeyDer);
        var verifier = System.Text.Encoding.ASCII.GetBytes(pem);
        return DsseV001Body.Build(envelopeJson, envelope.Payload, envelope.Signatures.Select(s => (Convert.ToBase64String(s.Signature), verifier)));
    }

    /// <summary>The leaf format written before dsse leaves: the envelope and time inside the leaf. Encoding is deterministic.</summary>
    public static byte[] Encode(long integratedTime, byte[] envelope, byte[]? certificate = null)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", Kind);
            w.WriteNumber("integratedTime", integratedTime);
            w.WritePropertyName("envelope");
            w.WriteRawValue(envelope, skipInputValidation: false);
            if (certificate is not null)
            {
                w.WriteString("certificate", Convert.ToBase64String(certificate));
            }

            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>A leaf of the earlier format: its time and envelope bytes.</summary>
    public static (long IntegratedTime, byte[] Envelope) Decode(byte[] leaf)
    {
        try
        {
            using var doc = JsonDocument.Parse(leaf);
            var root = doc.RootElement;
            if (root.GetProperty("kind").GetString() != Kind)
            {
                throw new FormatException("leaf is not a " + Kind);
            }

            var envelope = root.GetProperty("envelope").GetRawText();
            return (root.GetProperty("integratedTime").GetInt64(), System.Text.Encoding.UTF8.GetBytes(envelope));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("malformed embedded log leaf: " + e.Message, e);
        }
    }

    /// <summary>
    /// Any leaf the proxy wrote: its kind and version as a bundle names them, the integrated
    /// time, and the envelope bytes (from the leaf, or for a dsse leaf from its record, whose
    /// timestamp is not checked here: the log checks it, see <see cref="EmbeddedLog.ReadEntry"/>).
    /// </summary>
    /// <exception cref="FormatException">Not a sighting leaf, or a dsse leaf without a readable record.</exception>
    public static ReadLeaf Read(byte[] leaf, EnvelopeRecords records)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (DsseV001Body.EnvelopeHash(leaf) is { } hash)
        {
            var record = records.Read(hash)
                ?? throw new FormatException($"no envelope record {Convert.ToHexStringLower(hash)} for this dsse leaf");
            return new ReadLeaf(DsseV001Body.Kind, DsseV001Body.Version, record.IntegratedTime, record.Envelope, record.SignedEntryTimestamp);
        }

        var (integrated, envelope) = Decode(leaf);
        return new ReadLeaf(Kind, EntryBody.SightingVersion, integrated, envelope, null);
    }

    /// <summary>
    /// The SHA-256 that names the first subject of the leaf's in-toto statement (a sighting
    /// names its tag reference this way), or null for a leaf that holds none. Nothing is
    /// verified here: the entry is only a candidate for a search, read and checked later.
    /// A dsse leaf whose record cannot be read is no leaf without a subject: that throws.
    /// </summary>
    /// <exception cref="FormatException">A dsse leaf without a readable record.</exception>
    public static byte[]? Subject(byte[] leaf, EnvelopeRecords records)
    {
        try
        {
            return Subject(DsseEnvelope.Parse(Read(leaf, records).Envelope));
        }
        catch (FormatException) when (DsseV001Body.EnvelopeHash(leaf) is null)
        {
            return null;
        }
    }

    public static byte[]? Subject(DsseEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        try
        {
            using var doc = JsonDocument.Parse(envelope.Payload);
            var hex = doc.RootElement.GetProperty("subject")[0].GetProperty("digest").GetProperty("sha256").GetString();
            return hex is { Length: 64 } ? Convert.FromHexString(hex) : null;
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}

/// <summary>
/// A sighting leaf as read back: the kind and version its entry names, its time and envelope
/// bytes, and for a dsse leaf the log's signed entry timestamp kept in its record.
/// </summary>
internal sealed record ReadLeaf(string Kind, string Version, long IntegratedTime, byte[] Envelope, byte[]? SignedEntryTimestamp);
