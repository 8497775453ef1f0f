using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tlogistry.LogServer;

/// <summary>
/// The subset of Rekor v1's REST API (openapi.yaml) that clients of a sighting log use:
/// create intoto v0.0.1/v0.0.2 and dsse v0.0.1 entries, fetch them by uuid or index, search the
/// index by hash or public key, and read the log's state and key. Hashes are hex, numbers
/// are JSON numbers; uuids are answered in the 80-hex form (tree ID ‖ leaf hash).
/// </summary>
internal sealed class RekorV1Api
{
    private const int MaxRetrieve = 10;
    private readonly ServedLog _log;

    public RekorV1Api(ServedLog log)
    {
        _log = log;
    }

    public async Task CreateAsync(HttpContext context)
    {
        using var doc = await ApiResponses.ReadJsonAsync(context);
        if (doc is null)
        {
            return;
        }

        var root = doc.RootElement;
        var kind = EntryJson.String(root, "kind", "proposedEntry");
        var version = EntryJson.String(root, "apiVersion", "proposedEntry");
        var spec = EntryJson.Object(root, "spec", "proposedEntry");
        var canonical = (kind, version) switch
        {
            ("intoto", "0.0.1") => IntotoV001.Canonicalize(spec),
            ("intoto", "0.0.2") => IntotoV002.Canonicalize(spec),
            ("dsse", "0.0.1") => DsseV001.Canonicalize(spec),
            _ => throw new BadEntryException($"unsupported entry type {kind} {version}; this log accepts intoto 0.0.1 and 0.0.2 and dsse 0.0.1 (and hashedrekord 0.0.2 and dsse 0.0.2 at /api/v2/log/entries)"),
        };

        var (entry, created) = await _log.AppendAsync(canonical, context.RequestAborted);
        var uuid = Uuid(entry);
        context.Response.Headers.Location = "/api/v1/log/entries/" + uuid;
        context.Response.Headers.ETag = uuid;
        if (!created)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status409Conflict, "an equivalent entry already exists in the transparency log with UUID " + uuid);
            return;
        }

        await ApiResponses.JsonAsync(context, StatusCodes.Status201Created, ApiResponses.Json(w =>
        {
            w.WriteStartObject();
            WriteEntry(w, entry);
            w.WriteEndObject();
        }));
    }

    public async Task GetByUuidAsync(HttpContext context)
    {
        var text = context.Request.RouteValues["uuid"] as string ?? "";
        var leafHash = ParseUuid(text) ?? throw new BadEntryException("entry uuid must be 64 or 80 hex digits");
        var entry = leafHash.Length == 0 ? null : await _log.ByLeafHashAsync(leafHash, context.RequestAborted);
        await AnswerOneAsync(context, entry, "no entry with uuid " + text);
    }

    public async Task GetByIndexAsync(HttpContext context)
    {
        if (!long.TryParse(context.Request.Query["logIndex"], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            throw new BadEntryException("logIndex query parameter must be a non-negative integer");
        }

        await AnswerOneAsync(context, await _log.ByIndexAsync(index, context.RequestAborted), "no entry at log index " + index.ToString(CultureInfo.InvariantCulture));
    }

    public async Task RetrieveAsync(HttpContext context)
    {
        using var doc = await ApiResponses.ReadJsonAsync(context);
        if (doc is null)
        {
            return;
        }

        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new BadEntryException("search query must be a JSON object");
        }

        if (root.TryGetProperty("entries", out _))
        {
            throw new BadEntryException("searching by proposed entries is not supported by this log; use entryUUIDs or logIndexes");
        }

        var found = new List<LoggedEntry>();
        foreach (var uuid in Items(root, "entryUUIDs", JsonValueKind.String))
        {
            var leafHash = ParseUuid(uuid.GetString()!) ?? throw new BadEntryException("entryUUIDs[] must be 64 or 80 hex digits");
            if (leafHash.Length > 0 && await _log.ByLeafHashAsync(leafHash, context.RequestAborted) is { } e)
            {
                found.Add(e);
            }
        }

        foreach (var index in Items(root, "logIndexes", JsonValueKind.Number))
        {
            if (!index.TryGetInt64(out var i) || i < 0)
            {
                throw new BadEntryException("logIndexes[] must be non-negative integers");
            }

            if (await _log.ByIndexAsync(i, context.RequestAborted) is { } e)
            {
                found.Add(e);
            }
        }

        await ApiResponses.JsonAsync(context, StatusCodes.Status200OK, ApiResponses.Json(w =>
        {
            w.WriteStartArray();
            foreach (var e in found)
            {
                w.WriteStartObject();
                WriteEntry(w, e);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }));
    }

    public async Task SearchIndexAsync(HttpContext context)
    {
        using var doc = await ApiResponses.ReadJsonAsync(context);
        if (doc is null)
        {
            return;
        }

        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new BadEntryException("search query must be a JSON object");
        }

        if (root.TryGetProperty("subject", out _))
        {
            throw new BadEntryException("searching by subject is not supported by this log; use hash, email or publicKey");
        }

        var keys = new List<string>();
        if (EntryJson.OptionalString(root, "email", "query") is { } email)
        {
            // As Rekor: entries are indexed under their certificate's SAN, lowercased.
            keys.Add(email);
        }

        if (EntryJson.OptionalString(root, "hash", "query") is { } hash)
        {
            keys.Add(PrefixedHash(hash));
        }

        if (EntryJson.OptionalObject(root, "publicKey") is { } pk)
        {
            var format = EntryJson.String(pk, "format", "query.publicKey");
            if (format != "x509")
            {
                throw new BadEntryException($"publicKey format {format} is not supported by this log; use x509 (a PEM key or certificate)");
            }

            var pem = EntryJson.Base64(pk, "content", "query.publicKey");
            keys.Add(SignerKey.FromPem(pem).IndexKey);
        }

        if (keys.Count == 0)
        {
            throw new BadEntryException("search query needs a hash, an email or a publicKey");
        }

        var operatorName = EntryJson.OptionalString(root, "operator", "query") ?? "and";
        IEnumerable<long> result = operatorName switch
        {
            "and" => _log.SearchAll(keys),
            "or" => keys.SelectMany(_log.Search),
            _ => throw new BadEntryException("operator must be \"and\" or \"or\""),
        };

        var uuids = new List<string>();
        foreach (var index in result.Distinct().Order())
        {
            if (await _log.ByIndexAsync(index, context.RequestAborted) is { } e)
            {
                uuids.Add(Uuid(e));
            }
        }

        await ApiResponses.JsonAsync(context, StatusCodes.Status200OK, JsonSerializer.SerializeToUtf8Bytes(uuids, LogServerJson.Default.ListString));
    }

    public Task LogInfoAsync(HttpContext context)
    {
        var checkpoint = _log.Embedded.LatestCheckpoint;
        return ApiResponses.JsonAsync(context, StatusCodes.Status200OK, ApiResponses.Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("rootHash", Convert.ToHexStringLower(checkpoint.Checkpoint.RootHash));
            w.WriteString("signedTreeHead", _log.V1Note(checkpoint));
            w.WriteString("treeID", _log.TreeId.ToString(CultureInfo.InvariantCulture));
            w.WriteNumber("treeSize", checkpoint.Checkpoint.Size);
            w.WriteEndObject();
        }));
    }

    /// <summary>
    /// <c>GET /api/v1/log/proof?firstSize=A&amp;lastSize=B</c>: the consistency proof between two
    /// sizes of the tree (firstSize defaults to 1, lastSize to the current size), as Rekor answers it.
    /// </summary>
    public Task ConsistencyProofAsync(HttpContext context)
    {
        var checkpoint = _log.Embedded.LatestCheckpoint.Checkpoint;
        var first = Size(context.Request.Query["firstSize"], 1, "firstSize");
        var last = Size(context.Request.Query["lastSize"], checkpoint.Size, "lastSize");
        if (first < 1 || first > last || last > checkpoint.Size)
        {
            throw new BadEntryException($"firstSize ({first}) and lastSize ({last}) must satisfy 1 <= firstSize <= lastSize <= {checkpoint.Size}, the current tree size");
        }

        var hashes = _log.Embedded.ConsistencyProof(first, last);
        var root = last == checkpoint.Size ? checkpoint.RootHash : null;
        return ApiResponses.JsonAsync(context, StatusCodes.Status200OK, ApiResponses.Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("hashes");
            foreach (var h in hashes)
            {
                w.WriteStringValue(Convert.ToHexStringLower(h));
            }

            w.WriteEndArray();
            if (root is not null)
            {
                w.WriteString("rootHash", Convert.ToHexStringLower(root));
            }

            w.WriteEndObject();
        }));

        static long Size(string? text, long fallback, string name) =>
            string.IsNullOrEmpty(text) ? fallback
            : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
            : throw new BadEntryException(name + " must be a non-negative integer");
    }

    public Task PublicKeyAsync(HttpContext context)
    {
        context.Response.ContentType = "application/x-pem-file";
        return context.Response.Body.WriteAsync(SignerKey.FromSpki(_log.PublicKeyDer).CanonicalPem, context.RequestAborted).AsTask();
    }

    private async Task AnswerOneAsync(HttpContext context, LoggedEntry? entry, string notFound)
    {
        if (entry is null)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, notFound);
            return;
        }

        await ApiResponses.JsonAsync(context, StatusCodes.Status200OK, ApiResponses.Json(w =>
        {
            w.WriteStartObject();
            WriteEntry(w, entry);
            w.WriteEndObject();
        }));
    }

    /// <summary>One <c>"uuid": LogEntry</c> member, with a proof against the latest checkpoint and the SET.</summary>
    private void WriteEntry(Utf8JsonWriter w, LoggedEntry entry)
    {
        var (checkpoint, hashes) = _log.Prove(entry.LogIndex);
        w.WriteStartObject(Uuid(entry));
        if (entry.Row.Attestation is { } attestation)
        {
            w.WriteStartObject("attestation");
            w.WriteBase64String("data", attestation);
            w.WriteEndObject();
        }

        w.WriteBase64String("body", entry.Body);
        w.WriteNumber("integratedTime", entry.Row.IntegratedTime);
        w.WriteString("logID", Convert.ToHexStringLower(_log.V1LogId));
        w.WriteNumber("logIndex", entry.LogIndex);
        w.WriteStartObject("verification");
        w.WriteStartObject("inclusionProof");
        w.WriteString("checkpoint", _log.V1Note(checkpoint));
        w.WriteStartArray("hashes");
        foreach (var h in hashes)
        {
            w.WriteStringValue(Convert.ToHexStringLower(h));
        }

        w.WriteEndArray();
        w.WriteNumber("logIndex", entry.LogIndex);
        w.WriteString("rootHash", Convert.ToHexStringLower(checkpoint.Checkpoint.RootHash));
        w.WriteNumber("treeSize", checkpoint.Checkpoint.Size);
        w.WriteEndObject();
        w.WriteBase64String("signedEntryTimestamp", _log.SignEntryTimestamp(entry.Body, entry.Row.IntegratedTime, entry.LogIndex));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private string Uuid(LoggedEntry entry) => _log.TreeIdHex + Convert.ToHexStringLower(entry.Row.LeafHash);

    /// <summary>The leaf hash a uuid names; empty when it names another tree; null when malformed.</summary>
    private byte[]? ParseUuid(string text)
    {
        if (text.Length is not (64 or 80) || !text.All(char.IsAsciiHexDigit))
        {
            return null;
        }

        if (text.Length == 80 && !text[..16].Equals(_log.TreeIdHex, StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        return Convert.FromHexString(text[^64..]);
    }

    /// <summary>Rekor's util.PrefixSHA: a bare hex hash gets its algorithm from its length.</summary>
    private static string PrefixedHash(string hash)
    {
        var colon = hash.IndexOf(':', StringComparison.Ordinal);
        var (algorithm, hex) = colon >= 0 ? (hash[..colon], hash[(colon + 1)..]) : (hash.Length switch { 40 => "sha1", 128 => "sha512", _ => "sha256" }, hash);
        var expected = algorithm switch { "sha256" => 64, "sha1" => 40, "sha512" => 128, _ => -1 };
        if (hex.Length != expected || !hex.All(char.IsAsciiHexDigit))
        {
            throw new BadEntryException("hash must be [sha256:]<64 hex>, [sha1:]<40 hex> or [sha512:]<128 hex>");
        }

        return (algorithm + ":" + hex).ToLowerInvariant();
    }

    private static List<JsonElement> Items(JsonElement root, string name, JsonValueKind kind)
    {
        if (!root.TryGetProperty(name, out var array))
        {
            return [];
        }

        if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() > MaxRetrieve || array.EnumerateArray().Any(i => i.ValueKind != kind))
        {
            throw new BadEntryException($"{name} must be an array of at most {MaxRetrieve} {(kind == JsonValueKind.String ? "strings" : "integers")}");
        }

        return array.EnumerateArray().ToList();
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(List<string>))]
internal sealed partial class LogServerJson : System.Text.Json.Serialization.JsonSerializerContext;
