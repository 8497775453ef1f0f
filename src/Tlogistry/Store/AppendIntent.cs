using System.Text.Json;
using Tlogistry.Oci;
using Tlogistry.Signing;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Envelopes;

namespace Tlogistry.Store;

/// <summary>
/// What a first sighting is about to send to the log, stored before it is sent: the signed
/// envelope and the signer's material (key, or certificate chain in keyless mode). Every
/// log's request is a pure function of these two, so sending an intent again sends the same
/// bytes, which a deduplicating log answers with the entry it already holds. Kept after the
/// tag is pinned, so a monitor can tell any entry made from it.
/// </summary>
internal sealed record AppendIntent(TagReference Reference, DsseEnvelope Envelope, SignerMaterial Signer)
{
    /// <summary>RFC 3161 answers dating the signature (DER TimeStampResp); they go into the bundle, not the log.</summary>
    public IReadOnlyList<byte[]> Timestamps { get; init; } = [];

    /// <summary>Intents are small (one envelope, a key or a short chain); anything larger is not one of ours.</summary>
    public const int MaxBytes = 64 << 10;

    /// <summary>One JSON object: the stored form and the published line of <c>/tlog/intents</c>.</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("reference", Reference.Canonical);
            w.WritePropertyName("envelope");
            w.WriteRawValue(Envelope.ToJson(), skipInputValidation: true);
            w.WriteString("publicKey", Convert.ToBase64String(Signer.PublicKeyDer));
            w.WriteStartArray("certificates");
            foreach (var der in Signer.Certificates)
            {
                w.WriteStringValue(Convert.ToBase64String(der));
            }

            w.WriteEndArray();
            if (Timestamps.Count > 0)
            {
                w.WriteStartArray("timestamps");
                foreach (var der in Timestamps)
                {
                    w.WriteStringValue(Convert.ToBase64String(der));
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads <see cref="ToJson"/>'s form; throws <see cref="FormatException"/> for anything else.</summary>
    public static AppendIntent Parse(ReadOnlySpan<byte> json)
    {
        if (json.Length > MaxBytes)
        {
            throw new FormatException($"an intent of {json.Length} bytes exceeds {MaxBytes}");
        }

        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            var root = doc.RootElement;
            var text = root.GetProperty("reference").GetString();
            if (string.IsNullOrEmpty(text))
            {
                throw new FormatException("an intent names no reference");
            }

            var reference = TagReference.ParseCanonical(text);

            var envelope = DsseEnvelope.Parse(System.Text.Encoding.UTF8.GetBytes(root.GetProperty("envelope").GetRawText()));
            var key = Convert.FromBase64String(root.GetProperty("publicKey").GetString() ?? "");
            var certificates = root.GetProperty("certificates").EnumerateArray().Select(c => Convert.FromBase64String(c.GetString() ?? "")).ToList();
            var timestamps = root.TryGetProperty("timestamps", out var t)
                ? t.EnumerateArray().Select(c => Convert.FromBase64String(c.GetString() ?? "")).ToList()
                : [];
            return new AppendIntent(reference, envelope, new SignerMaterial(key, certificates)) { Timestamps = timestamps };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("not an append intent: " + e.Message, e);
        }
    }
}

/// <summary>One page of intents and the position to continue from (null at the end).</summary>
internal sealed record IntentPage(IReadOnlyList<AppendIntent> Intents, long? Next);
