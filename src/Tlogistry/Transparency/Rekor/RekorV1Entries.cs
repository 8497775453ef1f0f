using System.Text.Json;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Transparency.Rekor;

/// <summary>One entry of a Rekor v1 REST answer, under the UUID the log filed it.</summary>
internal sealed record RekorV1Entry(string Uuid, LogRecord Record);

/// <summary>
/// Reads the Rekor v1 REST <c>LogEntry</c> shape, <c>{"&lt;uuid&gt;": {body, integratedTime, logID,
/// logIndex, verification: {inclusionProof, signedEntryTimestamp}, attestation: {data}}}</c>, which
/// unlike the bundle form uses hex for hashes and JSON numbers for integers. Strict: a member
/// that is present must be well formed, and the UUID must end in the body's leaf hash, so an
/// answer is never half-read. Throws <see cref="FormatException"/> naming what is wrong.
/// </summary>
internal static class RekorV1Entries
{
    /// <summary>A <c>LogEntry</c> object (the create and get-by-UUID answers); it may hold several UUIDs.</summary>
    public static IReadOnlyList<RekorV1Entry> ReadLogEntry(ReadOnlySpan<byte> json)
    {
        using var doc = Parse(json);
        return ReadObject(doc.RootElement);
    }

    /// <summary>The <c>/api/v1/log/entries/retrieve</c> answer: an array of <c>LogEntry</c> objects.</summary>
    public static IReadOnlyList<RekorV1Entry> ReadRetrieved(ReadOnlySpan<byte> json)
    {
        using var doc = Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("retrieve answer is not a JSON array");
        }

        var entries = new List<RekorV1Entry>();
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            entries.AddRange(ReadObject(item));
        }

        return entries;
    }

    /// <summary>The <c>/api/v1/index/retrieve</c> answer: an array of entry UUIDs.</summary>
    public static IReadOnlyList<string> ReadUuids(ReadOnlySpan<byte> json)
    {
        using var doc = Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("index answer is not a JSON array");
        }

        var uuids = new List<string>();
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            var uuid = item.ValueKind == JsonValueKind.String ? item.GetString()! : throw new FormatException("index answer holds a non-string");
            uuids.Add(IsUuid(uuid) ? uuid.ToLowerInvariant() : throw new FormatException($"index answer holds '{Clip(uuid)}', not an entry UUID"));
        }

        return uuids;
    }

    /// <summary>The <c>/api/v1/log</c> answer's <c>signedTreeHead</c>: the active shard's checkpoint note.</summary>
    public static string ReadSignedTreeHead(ReadOnlySpan<byte> json)
    {
        using var doc = Parse(json);
        var head = Required(doc.RootElement, "signedTreeHead");
        return head.ValueKind == JsonValueKind.String ? head.GetString()! : throw new FormatException("signedTreeHead is not a string");
    }

    /// <summary>The <c>/api/v1/log/proof</c> answer's <c>hashes</c>, hex.</summary>
    public static IReadOnlyList<byte[]> ReadProofHashes(ReadOnlySpan<byte> json)
    {
        using var doc = Parse(json);
        var hashes = Required(doc.RootElement, "hashes");
        if (hashes.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("hashes is not an array");
        }

        return [.. hashes.EnumerateArray().Select(h => Hex(h, "hashes[]", Rfc6962.HashSize))];
    }

    /// <summary>An entry UUID: the 64-hex leaf hash, optionally after a 16-hex tree ID.</summary>
    public static bool IsUuid(string text) => text.Length is 64 or 80 && text.All(char.IsAsciiHexDigit);

    public static RekorV1Entry ReadOne(string uuid, JsonElement e)
    {
        if (!IsUuid(uuid))
        {
            throw new FormatException($"'{Clip(uuid)}' is not an entry UUID");
        }

        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"entry {uuid} is not an object");
        }

        var body = Base64(Required(e, "body"), "body");
        var leafHash = Convert.ToHexStringLower(Rfc6962.LeafHash(body));
        if (!uuid[^64..].Equals(leafHash, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"entry {uuid} does not name its body, whose leaf hash is {leafHash}");
        }

        var (kind, version, bodyJson) = ReadBody(body);
        var logId = Hex(Required(e, "logID"), "logID", 32);
        var logIndex = Number(Required(e, "logIndex"), "logIndex");
        var integratedTime = Number(Required(e, "integratedTime"), "integratedTime");

        byte[]? set = null;
        InclusionProof? proof = null;
        if (Optional(e, "verification") is { } verification)
        {
            if (Optional(verification, "signedEntryTimestamp") is { } s)
            {
                set = Base64(s, "signedEntryTimestamp");
            }

            if (Optional(verification, "inclusionProof") is { } p)
            {
                proof = ReadProof(p);
            }
        }

        byte[]? attestation = null;
        if (Optional(e, "attestation") is { } a && Optional(a, "data") is { } data)
        {
            attestation = Base64(data, "attestation.data");
        }

        var entry = new TlogEntry(logIndex, logId, kind, version, integratedTime, set, proof, body);
        return new RekorV1Entry(uuid.ToLowerInvariant(), new LogRecord(entry, Envelope(kind, version, bodyJson, attestation)));
    }

    private static List<RekorV1Entry> ReadObject(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("log entry answer is not a JSON object");
        }

        var entries = new List<RekorV1Entry>();
        foreach (var member in root.EnumerateObject())
        {
            entries.Add(ReadOne(member.Name, member.Value));
        }

        return entries;
    }

    private static InclusionProof ReadProof(JsonElement p)
    {
        var hashesElement = Required(p, "hashes");
        if (hashesElement.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("inclusionProof.hashes is not an array");
        }

        var hashes = new List<byte[]>();
        foreach (var h in hashesElement.EnumerateArray())
        {
            hashes.Add(Hex(h, "inclusionProof.hashes[]", Rfc6962.HashSize));
        }

        var treeSize = Number(Required(p, "treeSize"), "inclusionProof.treeSize");
        var index = Number(Required(p, "logIndex"), "inclusionProof.logIndex");
        if (index >= treeSize)
        {
            throw new FormatException($"inclusionProof.logIndex {index} is not inside tree size {treeSize}");
        }

        var checkpoint = Required(p, "checkpoint");
        return new InclusionProof(
            index,
            Hex(Required(p, "rootHash"), "inclusionProof.rootHash", Rfc6962.HashSize),
            treeSize,
            hashes,
            checkpoint.ValueKind == JsonValueKind.String ? checkpoint.GetString()! : throw new FormatException("inclusionProof.checkpoint is not a string"));
    }

    /// <summary>The body's kind and apiVersion, which name the entry type; the body must be a JSON object.</summary>
    private static (string Kind, string Version, JsonDocument Body) ReadBody(byte[] body)
    {
        var doc = Parse(body);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || Optional(root, "kind") is not { ValueKind: JsonValueKind.String } kind
            || Optional(root, "apiVersion") is not { ValueKind: JsonValueKind.String } version)
        {
            doc.Dispose();
            throw new FormatException("entry body has no kind and apiVersion");
        }

        return (kind.GetString()!, version.GetString()!, doc);
    }

    /// <summary>
    /// The signed envelope, when the log kept enough to rebuild it. Attestation storage holds the
    /// envelope itself for some writers; for intoto v0.0.2 it holds the payload, and the body the
    /// payload type and signatures (each sig the base64 of the envelope's base64 text). Anything
    /// less gives no envelope; intoto v0.0.1, which keeps no signature, gives the statement unsigned.
    /// </summary>
    private static DsseEnvelope? Envelope(string kind, string version, JsonDocument body, byte[]? attestation)
    {
        using (body)
        {
            if (attestation is null)
            {
                return null;
            }

            try
            {
                return DsseEnvelope.Parse(attestation);
            }
            catch (FormatException)
            {
                // Not an envelope: a payload, rebuilt below when the body has the rest.
            }

            if (kind == "intoto" && version == "0.0.1")
            {
                // The body keeps no signature: the statement, unsigned, with the log's word
                // (its SET) that the signature checked out when the entry was made.
                return new DsseEnvelope(Dsse.InTotoPayloadType, attestation, []);
            }

            if (kind != "intoto" || version != "0.0.2")
            {
                return null;
            }

            try
            {
                var envelope = body.RootElement.GetProperty("spec").GetProperty("content").GetProperty("envelope");
                var signatures = new List<DsseSignature>();
                foreach (var s in envelope.GetProperty("signatures").EnumerateArray())
                {
                    var keyId = Optional(s, "keyid") is { ValueKind: JsonValueKind.String } k ? k.GetString()! : "";
                    var sigText = System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(s.GetProperty("sig").GetString()!));
                    signatures.Add(new DsseSignature(keyId, Convert.FromBase64String(sigText)));
                }

                return signatures.Count == 0 ? null : new DsseEnvelope(envelope.GetProperty("payloadType").GetString()!, attestation, signatures);
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or NullReferenceException)
            {
                return null;
            }
        }
    }

    private static JsonDocument Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new FormatException("not JSON: " + e.Message, e);
        }
    }

    private static JsonElement Required(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null
            ? v
            : throw new FormatException($"entry has no {name}");

    private static JsonElement? Optional(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static long Number(JsonElement v, string name) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n >= 0
            ? n
            : throw new FormatException($"{name} is not a non-negative integer");

    private static byte[] Base64(JsonElement v, string name)
    {
        try
        {
            return Convert.FromBase64String(v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new FormatException($"{name} is not a string"));
        }
        catch (FormatException e)
        {
            throw new FormatException($"{name} is not base64", e);
        }
    }

    private static byte[] Hex(JsonElement v, string name, int size)
    {
        var text = v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new FormatException($"{name} is not a string");
        if (text.Length != size * 2 || !text.All(char.IsAsciiHexDigit))
        {
            throw new FormatException($"{name} is not {size} hex-encoded bytes");
        }

        return Convert.FromHexString(text);
    }

    private static string Clip(string text) => text.Length <= 100 ? text : text[..100] + "…";
}
