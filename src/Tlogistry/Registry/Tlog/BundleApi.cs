using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tlogistry.Http;
using Tlogistry.Ledger;
using Tlogistry.Oci;
using Tlogistry.Store;
using Tlogistry.Telemetry;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Registry.Tlog;

/// <summary>
/// Publishes the sightings as Sigstore bundles, so anyone can check them against the log
/// without trusting this service: <c>GET /tlog/bundle?image=NAME:TAG</c> answers the bundle
/// that pins one tag; <c>GET /tlog/bundles?after=N&amp;limit=M</c> pages through all of them as
/// JSON lines, with a <c>Link: rel="next"</c> header while more remain;
/// <c>GET /tlog/bundles?image=NAME[:TAG]&amp;after=TAG&amp;limit=M</c> pages through the bundles of one image's
/// tags (or of one tag) in tag order, with a <c>Link: rel="next"</c> header while more remain.
/// </summary>
internal sealed partial class BundleApi
{
    public const string BundlePath = "/tlog/bundle";
    public const string ExportPath = "/tlog/bundles";
    public const string JsonLines = "application/x-ndjson";
    public const int DefaultPage = 100;
    public const int MaxPage = 1000;
    private readonly TagLedger _ledger;
    private readonly ISightingIndex _index;
    private readonly ILogger _logger;

    public BundleApi(TagLedger ledger, ISightingIndex index, ILogger<BundleApi> logger)
    {
        _ledger = ledger;
        _index = index;
        _logger = logger;
    }

    /// <summary>A 503 naming no store or log detail (SQL, addresses): that goes to the service log under the reference.</summary>
    private Task UnavailableAsync(HttpContext context, string what, Exception e, string outcome)
    {
        var incident = Incident.New();
        Log.Unavailable(_logger, context.Request.Path.Value ?? "", incident.Reference, e.Message);
        return OciResponses.WriteErrorAsync(context, 503, new OciError(DistributionErrorCodes.Unavailable, incident.Tell(what)), outcome, context.RequestAborted);
    }

    public async Task BundleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        RequestOutcome.SetRoute(context, RequestOutcome.Bundle);
        if (!TagReference.TryParse(context.Request.Query["image"].ToString(), out var reference, out var error))
        {
            await OciResponses.WriteErrorAsync(context, 400, error, RequestOutcome.ClientError, ct);
            return;
        }

        try
        {
            var pin = await _ledger.FindPinAsync(reference, ct);
            if (pin is null)
            {
                await OciResponses.WriteErrorAsync(context, 404, new OciError(OciErrorCodes.ManifestUnknown, $"no sighting of {reference.Canonical} is recorded"), RequestOutcome.NotFound, ct);
                return;
            }

            context.Response.ContentType = SigstoreBundle.MediaType;
            await context.Response.Body.WriteAsync(BundleJson.Write(pin.Bundle), ct);
        }
        catch (Exception e) when (e is LedgerUnavailableException or LedgerIntegrityException)
        {
            await UnavailableAsync(context, "the tag's sighting cannot be read", e, e is LedgerIntegrityException ? RequestOutcome.IntegrityError : RequestOutcome.LogError);
        }
    }

    public async Task ExportAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        RequestOutcome.SetRoute(context, RequestOutcome.Bundle);
        var query = context.Request.Query;
        if (query.ContainsKey("image"))
        {
            await ImageAsync(context, query["image"].ToString());
            return;
        }

        if (!TryNumber(query["after"], 0, long.MaxValue, 0, out var after) || !TryNumber(query["limit"], 1, MaxPage, DefaultPage, out var limit))
        {
            await OciResponses.WriteErrorAsync(context, 400, new OciError(DistributionErrorCodes.PaginationNumberInvalid, $"after must be a position from a previous page and limit 1 to {MaxPage}"), RequestOutcome.ClientError, ct);
            return;
        }

        SightingPage page;
        try
        {
            page = await _index.ListAsync(after, (int)limit, ct);
        }
        catch (Exception e) when (e is IOException or System.Data.Common.DbException or FormatException)
        {
            await UnavailableAsync(context, "the sighting store cannot be read", e, RequestOutcome.LogError);
            return;
        }

        if (page.Next is long next)
        {
            context.Response.Headers.Link = $"<{ExportPath}?after={next.ToString(CultureInfo.InvariantCulture)}&limit={limit.ToString(CultureInfo.InvariantCulture)}>; rel=\"next\"";
        }

        await WriteLinesAsync(context, page.Sightings, ct);
    }

    private async Task ImageAsync(HttpContext context, string image)
    {
        var ct = context.RequestAborted;
        var query = context.Request.Query;
        if (!ImageSelector.TryParse(image, out var selector, out var error)
            || !ListingPage.TryParse(query["after"], query["limit"], ListingPage.DefaultLimit, ListingPage.MaxLimit, out var page, out error))
        {
            await OciResponses.WriteErrorAsync(context, 400, error, RequestOutcome.ClientError, ct);
            return;
        }

        ImageSightingPage sightings;
        try
        {
            sightings = await ImageSightings.PageAsync(_index, selector, page, ct);
        }
        catch (Exception e) when (e is IOException or System.Data.Common.DbException or FormatException)
        {
            await UnavailableAsync(context, "the sighting store cannot be read", e, RequestOutcome.LogError);
            return;
        }

        if (!sightings.Known)
        {
            await OciResponses.WriteErrorAsync(context, 404, ImageSightings.Missing(selector), RequestOutcome.NotFound, ct);
            return;
        }

        if (sightings.NextAfter is { } last)
        {
            context.Response.Headers.Link = $"<{ExportPath}?{page.NextQuery(image, last)}>; rel=\"next\"";
        }

        await WriteLinesAsync(context, sightings.Sightings, ct);
    }

    private static async Task WriteLinesAsync(HttpContext context, IEnumerable<Sighting> sightings, CancellationToken ct)
    {
        context.Response.ContentType = JsonLines;
        foreach (var sighting in sightings)
        {
            await context.Response.Body.WriteAsync(BundleJson.Write(sighting.Bundle), ct);
            await context.Response.Body.WriteAsync("\n"u8.ToArray(), ct);
        }
    }

    private static bool TryNumber(string? text, long min, long max, long fallback, out long value)
    {
        value = fallback;
        return string.IsNullOrEmpty(text)
            || (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Registry.TlogUnavailable, Level = LogLevel.Error, Message = "{Path}: unavailable (reference {Reference}): {Reason}")]
        public static partial void Unavailable(ILogger logger, string path, string reference, string reason);
    }
}
