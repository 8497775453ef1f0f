using Microsoft.AspNetCore.Http;

namespace Tlogistry.Registry;

/// <summary>
/// What a request asked for (its route) and what it came to (its outcome), for the one log
/// line and the one count each request gets. Both are small fixed vocabularies, so they are
/// safe as metric labels; docs/MONITORING.md lists them.
/// </summary>
internal static class RequestOutcome
{
    // Outcomes.
    public const string Served = "served";
    public const string FirstSeen = "first_seen";
    public const string Mismatch = "mismatch";
    public const string ServedPinned = "served_pinned";
    public const string ServedStale = "served_stale";
    public const string Mutable = "mutable";
    public const string Redirected = "redirected";
    public const string Unverified = "unverified";
    public const string NotFound = "not_found";
    public const string UpstreamError = "upstream_error";
    public const string LogError = "log_error";
    public const string IntegrityError = "integrity_error";
    public const string Denied = "denied";
    public const string Busy = "busy";
    public const string RateLimited = "rate_limited";
    public const string ClientError = "client_error";
    public const string Aborted = "aborted";
    public const string Error = "error";

    // Routes.
    public const string ManifestByTag = "manifest_by_tag";
    public const string ManifestByDigest = "manifest_by_digest";
    public const string Blob = "blob";
    public const string Tags = "tags";
    public const string Referrers = "referrers";
    public const string Base = "base";
    public const string Bundle = "bundle";
    public const string History = "history";
    public const string Moves = "moves";
    public const string Other = "other";

    private const string OutcomeKey = "tlogistry.outcome";
    private const string RouteKey = "tlogistry.route";
    private const string UpstreamStatusKey = "tlogistry.upstream-status";

    public static void Set(HttpContext context, string outcome) => context.Items[OutcomeKey] = outcome;

    public static void SetRoute(HttpContext context, string route) => context.Items[RouteKey] = route;

    public static void SetUpstreamStatus(HttpContext context, int status) => context.Items[UpstreamStatusKey] = status;

    /// <summary>The outcome set while answering; else <c>served</c> below 400 and <c>error</c> from 400 on.</summary>
    public static string Get(HttpContext context) =>
        context.Items.TryGetValue(OutcomeKey, out var o) && o is string s ? s : (context.Response.StatusCode >= 400 ? Error : Served);

    /// <summary>The route set while answering; <c>other</c> for anything that is not a registry or bundle route.</summary>
    public static string GetRoute(HttpContext context) =>
        context.Items.TryGetValue(RouteKey, out var r) && r is string s ? s : Other;

    public static int? GetUpstreamStatus(HttpContext context) =>
        context.Items.TryGetValue(UpstreamStatusKey, out var o) && o is int i ? i : null;
}
