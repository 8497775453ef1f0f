using System.Globalization;
using Microsoft.AspNetCore.Http;
using Tlogistry.Oci;
using Tlogistry.Store;

namespace Tlogistry.Registry.Tlog;

/// <summary>
/// Publishes the stored append intents (<c>GET /tlog/intents?after=N&amp;limit=M</c>, JSON
/// lines, paged like <c>/tlog/bundles</c>): each is the envelope and signer material a first
/// sighting sent, or was about to send, to the log. A monitor that finds an entry of ours no
/// bundle holds (a process stopped between the log and the store, and the tag pinned by
/// another entry) checks it against these; nothing here is trusted until an entry matches it.
/// </summary>
internal sealed class IntentApi
{
    public const string Path = "/tlog/intents";
    private readonly IIntentJournal _intents;

    public IntentApi(IIntentJournal intents)
    {
        _intents = intents;
    }

    public async Task ListAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        RequestOutcome.SetRoute(context, RequestOutcome.Bundle);
        var query = context.Request.Query;
        if (!TryNumber(query["after"], 0, long.MaxValue, 0, out var after) || !TryNumber(query["limit"], 1, BundleApi.MaxPage, BundleApi.DefaultPage, out var limit))
        {
            await OciResponses.WriteErrorAsync(context, 400, new OciError(DistributionErrorCodes.PaginationNumberInvalid, $"after must be a position from a previous page and limit 1 to {BundleApi.MaxPage}"), RequestOutcome.ClientError, ct);
            return;
        }

        IntentPage page;
        try
        {
            page = await _intents.ListIntentsAsync(after, (int)limit, unpinnedOnly: false, ct);
        }
        catch (Exception e) when (e is IOException or System.Data.Common.DbException or FormatException)
        {
            await OciResponses.WriteErrorAsync(context, 503, new OciError(DistributionErrorCodes.Unavailable, "the intent store cannot be read: " + e.Message), RequestOutcome.LogError, ct);
            return;
        }

        if (page.Next is long next)
        {
            context.Response.Headers.Link = $"<{Path}?after={next.ToString(CultureInfo.InvariantCulture)}&limit={limit.ToString(CultureInfo.InvariantCulture)}>; rel=\"next\"";
        }

        context.Response.ContentType = BundleApi.JsonLines;
        foreach (var intent in page.Intents)
        {
            await context.Response.Body.WriteAsync(intent.ToJson(), ct);
            await context.Response.Body.WriteAsync("\n"u8.ToArray(), ct);
        }
    }

    private static bool TryNumber(string? text, long min, long max, long fallback, out long value)
    {
        value = fallback;
        return string.IsNullOrEmpty(text)
            || (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max);
    }
}
