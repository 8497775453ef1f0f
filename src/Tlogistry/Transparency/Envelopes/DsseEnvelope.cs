using System.Text.Json;

namespace Tlogistry.Transparency.Envelopes;

/// <summary>A DSSE envelope with one or more signatures, and its JSON form.</summary>
internal sealed record DsseEnvelope(string PayloadType, byte[] Payload, IReadOnlyList<DsseSignature> Signatures)
{
    public byte[] Pae() => Dsse.Pae(PayloadType, Payload);

    /// <summary>Compact JSON in a fixed member order, so the same envelope always has the same bytes.</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("payload", Convert.ToBase64String(Payload));
            w.WriteString("payloadType", PayloadType);
            w.WriteStartArray("signatures");
            foreach (var s in Signatures)
            {
                w.WriteStartObject();
                w.WriteString("keyid", s.KeyId);
                w.WriteString("sig", Convert.ToBase64String(s.Signature));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static DsseEnvelope Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            var root = doc.RootElement;
            var payload = Convert.FromBase64String(root.GetProperty("payload").GetString() ?? "");
            var type = root.GetProperty("payloadType").GetString() ?? "";
            var sigs = new List<DsseSignature>();
            foreach (var s in root.GetProperty("signatures").EnumerateArray())
            {
                var keyId = s.TryGetProperty("keyid", out var k) ? k.GetString() ?? "" : "";
                sigs.Add(new DsseSignature(keyId, Convert.FromBase64String(s.GetProperty("sig").GetString() ?? "")));
            }

            return new DsseEnvelope(type, payload, sigs);
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("not a DSSE envelope: " + e.Message, e);
        }
    }
}

internal sealed record DsseSignature(string KeyId, byte[] Signature);
