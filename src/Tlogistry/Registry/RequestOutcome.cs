using Microsoft.AspNetCore.Http;

namespace Tlogistry.Registry;

/// <summary>What a request came to, for the one log line each request gets.</summary>
internal static class RequestOutcome
{
    public const string Served = "served";
    public const string FirstSeen = "first-seen";
    public const string Mismatch = "mismatch";
    public const string ServedPinned = "served-pinned";
    public const string Mutable = "mutable";
    public const string Redirected = "redirected";
    public const string Unverified = "unverified";
    public const string Error = "error";

    private const string OutcomeKey = "tlogistry.outcome";
    private const string UpstreamStatusKey = "tlogistry.upstream-status";

    public static void Set(HttpContext context, string outcome) => context.Items[OutcomeKey] = outcome;

    public static void SetUpstreamStatus(HttpContext context, int status) => context.Items[UpstreamStatusKey] = status;

    public static string Get(HttpContext context) =>
        context.Items.TryGetValue(OutcomeKey, out var o) && o is string s ? s : (context.Response.StatusCode >= 400 ? Error : Served);

    public static int? GetUpstreamStatus(HttpContext context) =>
        context.Items.TryGetValue(UpstreamStatusKey, out var o) && o is int i ? i : null;
}
