using System.Text.Json;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>An entry as the Rekor v1 REST API returns it, with its uuid and attestation when stored.</summary>
internal sealed record RekorV1Entry(string Uuid, TlogEntry Entry, byte[]? Attestation);

/// <summary>
/// Reads Rekor v1's REST entry form, <c>{uuid: {body, integratedTime, logID, logIndex,
/// verification: {inclusionProof, signedEntryTimestamp}, attestation: {data}}}</c>: hex
/// hashes and JSON numbers where bundles have base64 and strings. Kind and version come
/// from the body, since this form does not state them.
/// </summary>
internal static class RekorV1EntryJson
{
    /// <summary>Reads a response holding exactly one entry; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static RekorV1Entry Read(ReadOnlySpan<byte> json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new FormatException("Rekor entry is not JSON: " + e.Message, e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("Rekor entry response is not an object");
            }

            // Also accepted: one entry object with a "uuid" member, as some clients keep it.
            if (root.TryGetProperty("body", out _))
            {
                return ReadEntry(root.TryGetProperty("uuid", out var u) ? u.GetString() ?? "" : "", root);
            }

            var members = root.EnumerateObject().ToList();
            if (members.Count != 1)
            {
                throw new FormatException($"Rekor entry response has {members.Count} entries; expected one");
            }

            return ReadEntry(members[0].Name, members[0].Value);
        }
    }

    private static RekorV1Entry ReadEntry(string uuid, JsonElement e)
    {
        try
        {
            var body = Base64(Str(e, "body"), "body");
            var (kind, version) = KindOf(body);
            byte[]? set = null;
            InclusionProof? proof = null;
            if (e.TryGetProperty("verification", out var v) && v.ValueKind == JsonValueKind.Object)
            {
                if (v.TryGetProperty("signedEntryTimestamp", out var s) && s.ValueKind == JsonValueKind.String)
                {
                    set = Base64(s.GetString()!, "signedEntryTimestamp");
                }

                if (v.TryGetProperty("inclusionProof", out var p) && p.ValueKind == JsonValueKind.Object)
                {
                    var hashes = p.GetProperty("hashes").EnumerateArray().Select(h => Hex(h.GetString() ?? "", "hashes")).ToList();
                    proof = new InclusionProof(Int64(p, "logIndex"), Hex(Str(p, "rootHash"), "rootHash"), Int64(p, "treeSize"), hashes, Str(p, "checkpoint"));
                }
            }

            byte[]? attestation = null;
            if (e.TryGetProperty("attestation", out var a) && a.ValueKind == JsonValueKind.Object
                && a.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.String)
            {
                attestation = Base64(d.GetString()!, "attestation data");
            }

            var entry = new TlogEntry(
                Int64(e, "logIndex"),
                Hex(Str(e, "logID"), "logID"),
                kind,
                version,
                Int64(e, "integratedTime"),
                set,
                proof,
                body);
            return new RekorV1Entry(uuid, entry, attestation);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("malformed Rekor entry: " + ex.Message, ex);
        }
    }

    private static (string Kind, string Version) KindOf(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return (Str(doc.RootElement, "kind"), Str(doc.RootElement, "apiVersion"));
        }
        catch (JsonException e)
        {
            throw new FormatException("entry body is not JSON: " + e.Message, e);
        }
    }

    private static string Str(JsonElement e, string name) =>
        e.GetProperty(name).GetString() ?? throw new FormatException(name + " is null");

    private static long Int64(JsonElement e, string name)
    {
        var v = e.GetProperty(name);
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n >= 0
            ? n
            : throw new FormatException($"{name} is not a non-negative integer");
    }

    private static byte[] Base64(string value, string what)
    {
        try
        {
            return Convert.FromBase64String(value);
        }
        catch (FormatException e)
        {
            throw new FormatException(what + " is not base64", e);
        }
    }

    private static byte[] Hex(string value, string what)
    {
        try
        {
            return Convert.FromHexString(value);
        }
        catch (FormatException e)
        {
            throw new FormatException(what + " is not hex", e);
        }
    }
}
