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
}
