using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Tlogistry.Store;

namespace Tlogistry.Web;

/// <summary>
/// The home page: this instance (identity, log, trusted logs), what the proxy does in a few
/// lines, the documentation pages, the proxy's counts (<see cref="SiteCounts"/>, cached) and
/// its newest first sightings and moves (a bounded page each). The README is the source
/// tree's front door and stays there; its detail is in the docs pages linked here.
/// </summary>
internal sealed class HomePage
{
    /// <summary>Rows in each of the two "latest" tables.</summary>
    public const int LatestRows = 10;

    private readonly string _top;
    private readonly string _docs;
    private readonly SiteCounts _counts;
    private readonly ISightingCounts _sightings;
    private readonly ITagMoves? _moves;

    public HomePage(string identity, string log, string trustedLogs, PublicUrl publicUrl, SiteCounts counts, ISightingCounts sightings, ITagMoves? moves)
    {
        _counts = counts;
        _sightings = sightings;
        _moves = moves;
        var proxy = publicUrl.Configured ? new Uri(publicUrl.Origin).Authority : "PROXY";
        _top = $"""
            <h1>tlogistry</h1>
            <p id="intro">A read-only container registry front whose tags are <strong>transparently immutable</strong>.
            Pull through it instead of from the registry (<code>podman pull {PageShell.Encode(proxy)}/alpine:3.16.0</code>).
            The first time it serves a tag it records the tag's manifest digest as a signed <em>sighting</em> in a
            transparency log; a later pull of that tag whose upstream digest differs is refused. Anyone can check a
            sighting without trusting this service: see <a href="{SitePaths.Docs}/VERIFYING">verifying</a>.</p>
            <section class="box" id="instance"><h2>This instance</h2>
            <p>Identity: <code id="identity">{PageShell.Encode(identity)}</code></p>
            <p>Log: <code id="log">{PageShell.Encode(log)}</code></p>
            <p>Trusted logs: <code id="trusted-logs">{PageShell.Encode(trustedLogs)}</code></p>
            <form action="{HistoryPage.Path}" method="get"><label>Sightings of <input name="image" placeholder="alpine or alpine:3.16.0" size="30"></label> <button>Show</button></form></section>
            """;
        var docs = new StringBuilder("<section id=\"docs\"><h2>Documentation</h2><ul class=\"docs\">");
        foreach (var page in SiteMarkdown.Pages)
        {
            if (SitePaths.Served(page) is { } served && served != SitePaths.Home)
            {
                docs.Append(CultureInfo.InvariantCulture, $"<li><a href=\"{served}\">{PageShell.Encode(SiteMarkdown.Title(SiteMarkdown.Read(page)))}</a></li>");
            }
        }

        _docs = docs.Append("</ul></section>\n").ToString();
    }

    public async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var sb = new StringBuilder(_top);
        sb.Append(_docs);
        sb.Append(await CountsAsync(ct));
        sb.Append(await LatestSightingsAsync(ct));
        sb.Append(await LatestMovesAsync(ct));
        await PageShell.WriteAsync(context, 200, PageShell.Wrap("tlogistry", sb.ToString()), ct);
    }

    private async Task<string> CountsAsync(CancellationToken ct)
    {
        SiteTotals totals;
        try
        {
            totals = await _counts.CurrentAsync(ct);
        }
        catch (Exception e) when (e is IOException or System.Data.Common.DbException or InvalidOperationException)
        {
            return $"<section id=\"counts\"><h2>Record</h2><p class=\"bad\">The store cannot be counted now: {PageShell.Encode(e.Message)}</p></section>\n";
        }

        return $"""
            <section id="counts"><h2>Record</h2><ul class="counts">
            <li><strong id="count-sightings">{totals.Sightings.ToString(CultureInfo.InvariantCulture)}</strong> sightings</li>
            <li><strong id="count-images">{totals.Images.ToString(CultureInfo.InvariantCulture)}</strong> images</li>
            <li><strong id="count-moves">{PageShell.Encode(totals.MovesText)}</strong> moves</li>
            <li><strong id="count-log">{totals.LogSize.ToString(CultureInfo.InvariantCulture)}</strong> log entries</li></ul>
            <p class="note">Counted {Times.Utc(totals.CountedAt)}, at most once every {SiteCounts.MaxAge.TotalSeconds.ToString(CultureInfo.InvariantCulture)} seconds; the log's size is that of its latest checkpoint this proxy verified.</p></section>

            """;
    }

    private async Task<string> LatestSightingsAsync(CancellationToken ct)
    {
        var latest = await _sightings.LatestAsync(LatestRows, ct);
        var sb = new StringBuilder("<section id=\"latest-sightings\"><h2>Latest first sightings</h2>");
        if (latest.Count == 0)
        {
            return sb.Append("<p>No tag has been pulled through this proxy yet.</p></section>\n").ToString();
        }

        sb.Append("<table class=\"rows\"><thead><tr><th>Tag</th><th>Digest</th><th>First seen</th></tr></thead><tbody>\n");
        foreach (var s in latest)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr class=\"sighting\"><td data-label=\"Tag\"><a class=\"ref\" href=\"{HistoryPage.Path}?image={Uri.EscapeDataString(s.Reference.Canonical)}\">{PageShell.Encode(s.Reference.Canonical)}</a></td>")
                .Append(CultureInfo.InvariantCulture, $"<td data-label=\"Digest\">{DigestView.Html(s.Digest)}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td data-label=\"First seen\">{Times.Html(s.ObservedAt)}</td></tr>\n");
        }

        return sb.Append("</tbody></table></section>\n").ToString();
    }

    private async Task<string> LatestMovesAsync(CancellationToken ct)
    {
        var sb = new StringBuilder("<section id=\"latest-moves\"><h2>Latest moves</h2>");
        var page = _moves is null ? null : await _moves.ListMovesAsync(new MoveQuery(null, null, null, null, LatestRows), ct);
        if (page is null || page.Moves.Count == 0)
        {
            return sb.Append("<p id=\"no-moves\">No moves recorded.</p></section>\n").ToString();
        }

        sb.Append(CultureInfo.InvariantCulture, $"<p>Tags upstream answered with another digest than the one signed here, as this proxy saw them (<a href=\"{MovesPage.Path}\">all moves</a>).</p>");
        sb.Append(MovesPage.Table(page.Moves));
        return sb.Append("</section>\n").ToString();
    }
}
