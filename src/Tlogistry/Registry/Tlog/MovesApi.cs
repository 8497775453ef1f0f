using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tlogistry.Http;
using Tlogistry.Oci;
using Tlogistry.Store;
using Tlogistry.Telemetry;

namespace Tlogistry.Registry.Tlog;

/// <summary>
/// Publishes the record of moved tags: <c>GET /tlog/moves?registry=R&amp;image=I&amp;since=T&amp;after=C&amp;limit=N</c>
/// answers one page as JSON, newest last-seen first, with <c>next</c> (and a
/// <c>Link: rel="next"</c> header, as <c>/tlog/bundles</c> has) while more remain. Each row is
/// what this proxy saw, not a signed claim; it names the signed sighting it contradicts, whose
/// bundle and verify command come with it, so a reader checks the pin without trusting the row.
/// </summary>
internal sealed partial class MovesApi
{
    public const string Path = "/tlog/moves";

    public const string Statement =
        "These rows are observations by this proxy, not signed claims: each says that upstream answered the tag with a digest that contradicts "
        + "the signed sighting (log entry) that pinned it. Only that sighting is signed; check it with its verify command or bundle.";

    private readonly ITagMoves _moves;
    private readonly string _origin;
    private readonly ILogger _logger;

    /// <param name="origin">This proxy's public address, for the verify commands.</param>
    public MovesApi(ITagMoves moves, string origin, ILogger<MovesApi> logger)
    {
        _moves = moves;
        _origin = origin;
        _logger = logger;
    }

    public async Task ListAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        RequestOutcome.SetRoute(context, RequestOutcome.Moves);
        var q = context.Request.Query;
        var image = q["image"].ToString();
        if (!MoveListing.TryParse(q["registry"], image, q["since"], q["after"], q["limit"], MoveListing.DefaultLimit, ITagMoves.MaxPage, out var query, out var error))
        {
            await OciResponses.WriteErrorAsync(context, 400, error, RequestOutcome.ClientError, ct);
            return;
        }

        MovePage page;
        try
        {
            page = await _moves.ListMovesAsync(query, ct);
        }
        catch (Exception e) when (e is IOException or System.Data.Common.DbException or FormatException or InvalidOperationException)
        {
            var incident = Incident.New();
            Log.Unavailable(_logger, incident.Reference, e.Message);
            await OciResponses.WriteErrorAsync(context, 503, new OciError(DistributionErrorCodes.Unavailable, incident.Tell("the record of moved tags cannot be read")), RequestOutcome.LogError, ct);
            return;
        }

        var next = page.Next is { } cursor ? $"{Path}?{MoveListing.NextQuery(query, image, cursor)}" : null;
        if (next is not null)
        {
            context.Response.Headers.Link = $"<{next}>; rel=\"next\"";
        }

        context.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(context.Response.Body);
        w.WriteStartObject();
        w.WriteString("statement", Statement);
        w.WriteStartArray("moves");
        foreach (var move in page.Moves)
        {
            Write(w, move);
        }

        w.WriteEndArray();
        if (next is null)
        {
            w.WriteNull("next");
        }
        else
        {
            w.WriteString("next", next);
        }

        w.WriteEndObject();
        await w.FlushAsync(ct);
    }

    private void Write(Utf8JsonWriter w, TagMove move)
    {
        var tag = move.Tag.Canonical;
        w.WriteStartObject();
        w.WriteString("tag", tag);
        w.WriteString("registry", move.Registry.Value);
        w.WriteString("pinned", move.Pinned.ToString());
        w.WriteString("upstream", move.Upstream.ToString());
        w.WriteNumber("pinLogIndex", move.PinLogIndex);
        w.WriteString("verify", $"tlogistry verify {tag} --digest {move.Pinned} --proxy {_origin}");
        w.WriteString("bundle", $"{BundleApi.BundlePath}?image={Uri.EscapeDataString(tag)}");
        w.WriteString("firstSeen", MoveListing.Rfc3339(move.FirstSeen));
        w.WriteString("lastSeen", MoveListing.Rfc3339(move.LastSeen));
        w.WriteNumber("refusals", move.Refusals);
        w.WriteNumber("pinnedServes", move.PinnedServes);
        w.WriteEndObject();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Registry.MovesUnavailable, Level = LogLevel.Error, Message = "/tlog/moves: unavailable (reference {Reference}): {Reason}")]
        public static partial void Unavailable(ILogger logger, string reference, string reason);
    }
}
