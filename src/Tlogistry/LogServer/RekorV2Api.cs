using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.LogServer;

/// <summary>
/// Rekor v2's write API, <c>POST /api/v2/log/entries</c>: hashedrekord v0.0.2, the one kind
/// rekor-tiles now takes (a DSSE envelope as the digest of its PAE), and dsse v0.0.2, which
/// it took before and which clients written for that API still send. The answer is the TransparencyLogEntry with an inclusion proof
/// against the latest checkpoint and integratedTime "0", like rekor-tiles.
/// </summary>
internal sealed class RekorV2Api
{
    private readonly ServedLog _log;

    public RekorV2Api(ServedLog log)
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
        // CreateEntryRequest's spec is a protobuf oneof: a request naming both kinds is not one entry.
        var dsseRequest = EntryJson.OptionalObject(root, "dsseRequestV002");
        if (dsseRequest is not null && root.TryGetProperty("hashedRekordRequestV002", out var other) && other.ValueKind != JsonValueKind.Null)
        {
            throw new BadEntryException("a request holds one of dsseRequestV002 and hashedRekordRequestV002, not both");
        }

        var canonical = dsseRequest is { } dsse
            ? DsseV002.Canonicalize(dsse)
            : HashedRekordV002.Canonicalize(EntryJson.Object(root, "hashedRekordRequestV002", "request"));
        var (entry, _) = await _log.AppendAsync(canonical, context.RequestAborted);
        var (checkpoint, hashes) = _log.Prove(entry.LogIndex);
        var answer = new TlogEntry(
            entry.LogIndex,
            _log.V2LogId,
            entry.Row.Kind,
            entry.Row.ApiVersion,
            0,
            null,
            new InclusionProof(entry.LogIndex, checkpoint.Checkpoint.RootHash, checkpoint.Checkpoint.Size, hashes, checkpoint.Note),
            entry.Body);
        await ApiResponses.JsonAsync(context, StatusCodes.Status201Created, BundleJson.WriteEntry(answer));
    }
}
