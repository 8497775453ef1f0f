using System.Text.Json;

namespace Tlogistry.Transparency.Embedded;

/// <summary>
/// A leaf of the embedded log: the whole envelope plus the time the log integrated it and,
/// in keyless mode, the signer's leaf certificate (whose key is ephemeral), so that the log
/// alone can rebuild the index. Encoding is deterministic.
/// </summary>
internal static class EmbeddedEntry
{
    public const string Kind = "tlogistry/sighting";

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
    /// The SHA-256 that names the first subject of the leaf's in-toto statement (a sighting
    /// names its tag reference this way), or null for a leaf that holds none. Nothing is
    /// verified here: the entry is only a candidate for a search, read and checked later.
    /// </summary>
    public static byte[]? Subject(byte[] leaf)
    {
        try
        {
            var (_, envelope) = Decode(leaf);
            var payload = Transparency.Envelopes.DsseEnvelope.Parse(envelope).Payload;
            using var doc = JsonDocument.Parse(payload);
            var hex = doc.RootElement.GetProperty("subject")[0].GetProperty("digest").GetProperty("sha256").GetString();
            return hex is { Length: 64 } ? Convert.FromHexString(hex) : null;
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
