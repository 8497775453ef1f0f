using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Tlogistry.Client.History;
using Tlogistry.Ledger;
using Tlogistry.Oci;
using Tlogistry.Policy;
using Tlogistry.Registry;
using Tlogistry.Registry.Tlog;
using Tlogistry.Store;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Web;

/// <summary>
/// <c>GET /history?image=NAME[:TAG]&amp;after=TAG&amp;limit=N</c>: the recorded sightings of an image's
/// tags (or of one tag) as a web page, a page of rows at a time in tag order, each with its log
/// entry, whether its bundle verifies here, and the commands that check it without trusting
/// this service, addressed to the configured public URL. Errors answer a page to browsers and
/// the OCI error body to everything else.
/// </summary>
internal sealed class HistoryPage
{
    public const string Path = "/history";
    private readonly ISightingIndex _index;
    private readonly SightingReader _reader;
    /// <summary>Rows a page shows unless asked for fewer or more.</summary>
    public const int DefaultRows = 100;

    /// <summary>Rows a page shows at most: each is verified when the page is made, so a repository with thousands of tags must not cost thousands of checks per request.</summary>
    public const int MaxRows = 200;
    private readonly string _log;
    private readonly PublicUrl _publicUrl;
    private readonly int _defaultRows;
    private readonly TagPolicy _policy;
    private readonly ITagMoves? _moves;

    public HistoryPage(ISightingIndex index, SightingReader reader, string log, PublicUrl publicUrl, int defaultRows = DefaultRows, TagPolicy? policy = null, ITagMoves? moves = null)
    {
        _defaultRows = defaultRows;
        _policy = policy ?? TagPolicy.Default;
        _moves = moves;
        _index = index;
        _reader = reader;
        _log = log;
        _publicUrl = publicUrl;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        RequestOutcome.SetRoute(context, RequestOutcome.History);
        var image = context.Request.Query["image"].ToString().Trim();
        if (image.Length == 0)
        {
            await WritePageAsync(context, 200, PageShell.Wrap("history", Form("")), ct);
            return;
        }

        var query = context.Request.Query;
        if (!ImageSelector.TryParse(image, out var selector, out var error)
            || !ListingPage.TryParse(query["after"], query["limit"], _defaultRows, Math.Max(_defaultRows, MaxRows), out var listing, out error))
        {
            await WriteErrorAsync(context, 400, error, RequestOutcome.ClientError, image);
            return;
        }

        ImageSightingPage sightings;
        try
        {
            sightings = await ImageSightings.PageAsync(_index, selector, listing, ct, count: true);
        }
        catch (Exception e) when (e is IOException or System.Data.Common.DbException or FormatException)
        {
            await WriteErrorAsync(context, 503, new OciError(DistributionErrorCodes.Unavailable, "the sighting store cannot be read: " + e.Message), RequestOutcome.LogError, image);
            return;
        }

        if (!sightings.Known)
        {
            await WriteErrorAsync(context, 404, ImageSightings.Missing(selector), RequestOutcome.NotFound, image);
            return;
        }

        var next = sightings.NextAfter is { } last ? $"{Path}?{listing.NextQuery(image, last)}" : null;
        if (next is not null)
        {
            context.Response.Headers.Link = $"<{next}>; rel=\"next\"";
        }

        // The moves mark rows; a record that cannot be read leaves them unmarked, and the page says so.
        IReadOnlyList<TagMove>? moves;
        try
        {
            moves = await ImageMoves.OfAsync(_moves, selector.Name, ct);
        }
        catch (Exception e) when (e is IOException or System.Data.Common.DbException or FormatException)
        {
            moves = null;
        }

        await WritePageAsync(context, 200, PageShell.Wrap($"history of {selector}", Body(image, selector, sightings, moves, next)), ct);
    }

    private string Body(string typed, ImageSelector selector, ImageSightingPage page, IReadOnlyList<TagMove>? moves, string? next)
    {
        var origin = _publicUrl.Origin;
        var shortName = selector.Tag is null ? typed : typed[..typed.LastIndexOf(':')];
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<h1>Sightings of <code id=\"image\">{PageShell.Encode(selector.ToString())}</code></h1>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<p>Recorded in <code>{PageShell.Encode(_log)}</code>, each signed by this instance.</p>\n");
        if (moves is null)
        {
            sb.Append("<p class=\"bad\" id=\"moves-unread\">The record of moved tags cannot be read now: no row is marked moved.</p>\n");
        }

        sb.Append("<table class=\"rows\" id=\"sightings\"><thead><tr><th>Tag</th><th>Digest</th><th>Status</th><th>First seen</th><th>Log entry</th><th>Check</th></tr></thead><tbody>\n");
        foreach (var sighting in page.Sightings)
        {
            var row = HistoryRow.Of(sighting.Bundle, _reader, selector);
            var pull = $"{shortName}:{row.Tag}";
            // No command for a bundle that does not verify: its tag and digest are only its own claim.
            var verify = row.Verified
                ? $"<details class=\"cmd\"><summary>tlogistry verify</summary><pre class=\"verify\">{PageShell.Encode($"tlogistry verify {pull} --digest {row.Digest} --proxy {origin} --trusted-root root.json {TrustFlags()}")}</pre></details>"
                : "";
            var statusClass = row.Verified ? "ok" : "bad";
            var state = State(sighting, moves ?? []);
            // After the bundle link, which stays the row's first link.
            var movesLink = state.Move is { } move ? $" <a class=\"moves\" href=\"{MovesPage.Path}?image={Uri.EscapeDataString(move.Tag.Name.Canonical)}\">moves</a>" : "";
            var integrated = row.IntegratedTime is { } t ? "integrated " + Time(t) : "the log states no time";
            var digest = Digest.TryParse(row.Digest, out var parsed, out _) ? DigestView.Html(parsed) : $"<code class=\"digest\">{PageShell.Encode(row.Digest)}</code>";
            sb.Append(CultureInfo.InvariantCulture, $"<tr class=\"sighting {state.State.ToString().ToLowerInvariant()}\">")
                .Append(CultureInfo.InvariantCulture, $"<td class=\"tag\" data-label=\"Tag\">{PageShell.Encode(row.Tag)}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td class=\"digest-cell\" data-label=\"Digest\">{digest}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td data-label=\"Status\">{StateHtml(state)}<br><span class=\"status {statusClass}\">{PageShell.Encode(row.Status)}</span></td>")
                .Append(CultureInfo.InvariantCulture, $"<td data-label=\"First seen\">{Time(sighting.ObservedAt)}<br>from <span class=\"from\">{PageShell.Encode(sighting.Upstream)}</span></td>")
                .Append(CultureInfo.InvariantCulture, $"<td class=\"entry\" data-label=\"Log entry\">index <span class=\"log-index\">{row.LogIndex.ToString(CultureInfo.InvariantCulture)}</span><br>{integrated}<details><summary>uuid, log id</summary>uuid <code>{PageShell.Encode(sighting.Uuid)}</code><br>log id <code>{PageShell.Encode(row.LogId)}</code></details></td>")
                .Append(CultureInfo.InvariantCulture, $"<td data-label=\"Check\"><a href=\"{BundleApi.BundlePath}?image={Uri.EscapeDataString(pull)}\">bundle</a>{movesLink}{verify}</td>")
                .Append("</tr>\n");
        }

        sb.Append("</tbody></table>\n");
        if (next is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<p id=\"more\">{page.Sightings.Count} of {page.Total} sightings are shown here, by tag: <a id=\"next\" rel=\"next\" href=\"{PageShell.Encode(next)}\">the next page</a>, or all of them with <code>tlogistry history {PageShell.Encode(typed)} --proxy {PageShell.Encode(origin)}</code>.</p>\n");
        }

        if (!_publicUrl.Configured)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<p id=\"public-url\">Put this proxy's address in place of <code>{PublicUrl.Placeholder}</code> below (its operator can set it with <code>--public-url</code>).</p>\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"""
            <h2>Check it yourself</h2>
            <p>The <code>tlogistry verify</code> command beside each sighting trusts neither this service nor the log's API:
            it checks the bundle's signature against the key or identity you pinned, the statement's tag and digest, the
            inclusion proof against the log's signed checkpoint, and that the log's current checkpoint is consistent with
            the last one your machine saw. Fetch the trust material once and compare it out of band, as you would an SSH
            host key (the key's fingerprint is the identity <code id="identity">{PageShell.Encode(_reader.Identity)}</code>):</p>
            <pre id="trust">{PageShell.Encode(TrustCommands(origin))}</pre>
            <p>A tag recorded with two digests is the failure this log exists to expose: <code>tlogistry audit --proxy {PageShell.Encode(origin)}</code>
            scans the whole log for them.</p>
            {Form(typed)}
            """);
        return sb.ToString();
    }

    /// <summary>
    /// Key mode: every key whose sightings this page marks verified (the current one and each
    /// trusted from before a rotation), so the commands beside them check what the page checked.
    /// </summary>
    private IEnumerable<string> KeyIds => _reader.SearchKeys
        .Where(k => !k.IsAnyKey)
        .Select(k => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(k.PublicKeyDer)))
        .Distinct(StringComparer.Ordinal);

    private static string KeyFile(string keyId) => $"key-{keyId[..12]}.pem";

    /// <summary>How a client pins this instance: every key file, or its keyless identity and issuer.</summary>
    private string TrustFlags() =>
        SignerIdentity.IsKey(_reader.Identity) ? string.Join(' ', KeyIds.Select(id => "--key " + KeyFile(id)))
        : SignerIdentity.TrySplitCertificate(_reader.Identity, out var san, out var issuer) ? $"--identity {san} --issuer {issuer}"
        : "";

    private string TrustCommands(string origin) =>
        $"curl -o root.json {origin}{TrustApi.TrustedRootPath}"
        + (SignerIdentity.IsKey(_reader.Identity) ? string.Concat(KeyIds.Select(id => $"\ncurl -o {KeyFile(id)} {origin}{TrustApi.KeysPath}/{id}.pem")) : "");

    private static string Form(string image) =>
        $"<form action=\"{Path}\" method=\"get\"><label>Sightings of <input name=\"image\" value=\"{PageShell.Encode(image)}\" placeholder=\"alpine or alpine:3.16.0\" size=\"40\"></label> <button>Show</button></form>";

    private static async Task WriteErrorAsync(HttpContext context, int status, OciError error, string outcome, string image)
    {
        if (!PageShell.WantsHtml(context.Request))
        {
            await OciResponses.WriteErrorAsync(context, status, error, outcome, context.RequestAborted);
            return;
        }

        RequestOutcome.Set(context, outcome);
        var body = $"<h1>History</h1><p class=\"bad\" id=\"error\">{PageShell.Encode(error.Code)}: {PageShell.Encode(error.Message)}</p>{Form(image)}";
        await WritePageAsync(context, status, PageShell.Wrap("history", body), context.RequestAborted);
    }

    private static Task WritePageAsync(HttpContext context, int status, string html, CancellationToken ct) =>
        PageShell.WriteAsync(context, status, html, ct);

    private static string Time(DateTimeOffset t) => Times.Html(t);

    /// <summary>The tag's state now: the policy may have made it mutable (a policy that cannot be evaluated leaves it pinned).</summary>
    private TagStatus State(Sighting sighting, IReadOnlyList<TagMove> moves)
    {
        bool mutable;
        try
        {
            mutable = _policy.For(sighting.Reference.Name.Registry, sighting.Reference.Tag).Mutable;
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            mutable = false;
        }

        return TagStatus.Of(mutable, sighting.Reference, sighting.Digest, moves);
    }

    private static string StateHtml(TagStatus status) => status.State switch
    {
        TagState.MovedUpstream when status.Move is { } m =>
            $"<span class=\"pin moved\">moved upstream</span>: now answers {DigestView.Html(m.Upstream, "upstream")}"
            + $"seen <span class=\"moved-at\">{Times.Html(m.FirstSeen)}</span> (last {Times.Html(m.LastSeen)}), refused {m.Refusals.ToString(CultureInfo.InvariantCulture)}, "
            + $"served pinned {m.PinnedServes.ToString(CultureInfo.InvariantCulture)} (this proxy's observation, not a signed claim)",
        TagState.Mutable => "<span class=\"pin mutable\">mutable</span>: served as upstream has it now",
        _ => "<span class=\"pin pinned\">pinned</span>",
    };
}
