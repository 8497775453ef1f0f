using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Net.Http.Headers;
using Tlogistry.Http;
using Tlogistry.Oci;
using Tlogistry.Registry;
using Tlogistry.Registry.Tlog;
using Tlogistry.Store;
using Tlogistry.Telemetry;

namespace Tlogistry.Web;

/// <summary>
/// <c>GET /moves?registry=HOST&amp;image=NAME&amp;after=CURSOR&amp;limit=N</c>: the tags this proxy saw
/// upstream move away from their signed sighting, newest first, a page at a time, each beside
/// the sighting it contradicts. A move is this proxy's observation, not a signed claim; the
/// page says so. Errors answer a page to browsers and the OCI error body to everything else.
/// </summary>
internal sealed partial class MovesPage
{
    public const string Path = "/moves";
    public const int DefaultRows = 50;
    public const int MaxRows = 200;

    /// <summary>A cursor is the store's own short text; anything longer is not one it handed out.</summary>

    private readonly ITagMoves? _moves;
    private readonly ILogger _logger;

    public MovesPage(ITagMoves? moves, ILogger<MovesPage>? logger = null)
    {
        _moves = moves;
        _logger = logger ?? NullLogger<MovesPage>.Instance;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var q = context.Request.Query;
        string registryText = q["registry"].ToString().Trim(), imageText = q["image"].ToString().Trim(), after = q["after"].ToString();
        if (!MoveListing.TryParse(registryText, imageText, since: null, after, q["limit"].ToString(), DefaultRows, MaxRows, out var query, out var error))
        {
            await WriteErrorAsync(context, 400, error, RequestOutcome.ClientError, registryText, imageText);
            return;
        }

        MovePage page;
        try
        {
            page = _moves is null ? new MovePage([], null) : await _moves.ListMovesAsync(query, ct);
        }
        catch (Exception e) when (e is IOException or System.Data.Common.DbException or FormatException or InvalidOperationException)
        {
            // The store's own words may name its host, tables or paths: they go to the log, the
            // client gets a reference to quote.
            var incident = Incident.New();
            Log.Unavailable(_logger, incident.Reference, e.Message);
            await WriteErrorAsync(context, 503, new OciError(DistributionErrorCodes.Unavailable, incident.Tell("the record of moved tags cannot be read")), RequestOutcome.LogError, registryText, imageText);
            return;
        }

        var next = page.Next is { } cursor ? $"{Path}?{MoveListing.NextQuery(query, imageText, cursor)}" : null;
        if (next is not null)
        {
            context.Response.Headers.Link = $"<{next}>; rel=\"next\"";
        }

        var sb = new StringBuilder("<h1>Moved tags</h1>\n").Append(Preamble);
        sb.Append(Form(registryText, imageText));
        if (_moves is null)
        {
            sb.Append("<p id=\"no-moves\">No moves recorded: this proxy keeps no record of moved tags.</p>\n");
        }
        else if (page.Moves.Count == 0)
        {
            sb.Append(after.Length == 0 ? "<p id=\"no-moves\">No moves recorded.</p>\n" : "<p id=\"no-moves\">No more moves.</p>\n");
        }
        else
        {
            sb.Append(Table(page.Moves));
        }

        if (next is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<p id=\"more\"><a id=\"next\" rel=\"next\" href=\"{PageShell.Encode(next)}\">Older moves</a></p>\n");
        }

        await PageShell.WriteAsync(context, 200, PageShell.Wrap("moved tags", sb.ToString()), ct);
    }

    /// <summary>What a move is, and is not, said above every list of them.</summary>
    public const string Preamble = """
        <p id="not-signed">These are <strong>observations by this proxy, not signed claims</strong>: each row is a tag
        for which the upstream registry answered another digest than the one in this proxy's signed sighting.
        The sighting, beside it, is in the transparency log and anyone can check it; the move is only this
        proxy's account of what upstream said, kept so that people can see which tags changed under them.</p>

        """;

    /// <summary>Moves as a table that becomes stacked rows on a narrow screen.</summary>
    public static string Table(IEnumerable<TagMove> moves)
    {
        var sb = new StringBuilder("<table class=\"rows\" id=\"moves\"><thead><tr><th>Tag</th><th>Signed sighting</th><th>Upstream answered</th><th>Seen</th><th>This proxy</th></tr></thead><tbody>\n");
        foreach (var m in moves)
        {
            var history = $"{HistoryPage.Path}?image={Uri.EscapeDataString(m.Tag.Canonical)}";
            sb.Append("<tr class=\"move\">")
                .Append(CultureInfo.InvariantCulture, $"<td class=\"tag\" data-label=\"Tag\"><a class=\"ref\" href=\"{history}\">{PageShell.Encode(m.Tag.Canonical)}</a></td>")
                .Append(CultureInfo.InvariantCulture, $"<td data-label=\"Signed sighting\">{DigestView.Html(m.Pinned, "pinned")} log index <span class=\"log-index\">{m.PinLogIndex.ToString(CultureInfo.InvariantCulture)}</span></td>")
                .Append(CultureInfo.InvariantCulture, $"<td data-label=\"Upstream answered\">{DigestView.Html(m.Upstream, "upstream")}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td data-label=\"Seen\">first <span class=\"first-seen\">{Times.Html(m.FirstSeen)}</span><br>last <span class=\"last-seen\">{Times.Html(m.LastSeen)}</span></td>")
                .Append(CultureInfo.InvariantCulture, $"<td data-label=\"This proxy\">refused <span class=\"refusals\">{m.Refusals.ToString(CultureInfo.InvariantCulture)}</span>, served the pinned manifest <span class=\"pinned-serves\">{m.PinnedServes.ToString(CultureInfo.InvariantCulture)}</span></td>")
                .Append("</tr>\n");
        }

        return sb.Append("</tbody></table>\n").ToString();
    }

    private static string Form(string registry, string image) => $"""
        <form action="{Path}" method="get"><label>Registry <input name="registry" value="{PageShell.Encode(registry)}" placeholder="docker.io" size="16"></label>
        <label>Image <input name="image" value="{PageShell.Encode(image)}" placeholder="alpine" size="24"></label> <button>Filter</button></form>

        """;

    private static async Task WriteErrorAsync(HttpContext context, int status, OciError error, string outcome, string registry, string image)
    {
        if (!PageShell.WantsHtml(context.Request))
        {
            await OciResponses.WriteErrorAsync(context, status, error, outcome, context.RequestAborted);
            return;
        }

        RequestOutcome.Set(context, outcome);
        var body = $"<h1>Moved tags</h1><p class=\"bad\" id=\"error\">{PageShell.Encode(error.Code)}: {PageShell.Encode(error.Message)}</p>{Form(registry, image)}";
        await PageShell.WriteAsync(context, status, PageShell.Wrap("moved tags", body), context.RequestAborted);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Registry.MovesPageUnavailable, Level = LogLevel.Error, Message = "/moves: unavailable (reference {Reference}): {Reason}")]
        public static partial void Unavailable(ILogger logger, string reference, string reason);
    }
}
