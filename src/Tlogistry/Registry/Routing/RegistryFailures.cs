using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tlogistry.Http;
using Tlogistry.Ledger;
using Tlogistry.Oci;
using Tlogistry.Policy;
using Tlogistry.Upstream;

namespace Tlogistry.Registry.Routing;

/// <summary>
/// What a failure of a registry request answers: the OCI status and code, the outcome label,
/// and the log line. One row per exception type; anything not listed is not the registry
/// API's to answer and goes on up.
/// </summary>
internal static class RegistryFailures
{
    /// <param name="e">what the request's handler threw</param>
    /// <param name="method">the request method, for the log</param>
    /// <param name="path">the raw request path, for the log</param>
    /// <param name="clientGone">whether the client's request was aborted</param>
    /// <param name="logger">where the failure's line goes</param>
    /// <returns>the answer, or null for an exception the registry API does not answer</returns>
    public static FailureAnswer? For(Exception e, string method, string path, bool clientGone, ILogger logger)
    {
        switch (e)
        {
            case UpstreamException upstream:
                RegistryLog.UpstreamFailed(logger, method, path, upstream.Status, upstream.Message);
                return FailureAnswer.Reply(upstream.Status, upstream.Error, OutcomeOf(upstream)) with
                {
                    UpstreamStatus = upstream.UpstreamStatus,
                    RetryAfter = upstream.RetryAfter,
                };
            case LedgerUnavailableException unavailable:
            {
                // The reason names the store's or log's address, or SQL: it is logged, not sent.
                var incident = Incident.New();
                RegistryLog.LedgerUnavailable(logger, path, incident.Reference, unavailable.Message);
                return FailureAnswer.Reply(503, new OciError(DistributionErrorCodes.Unavailable, incident.Tell("the transparency log or index is unavailable, so this tag cannot be checked")), RequestOutcome.LogError);
            }

            case LedgerIntegrityException integrity:
            {
                var incident = Incident.New();
                RegistryLog.IntegrityFailure(logger, path, incident.Reference, integrity.Message);
                // What failed to verify is about the signed record, which is public; it is kept.
                return FailureAnswer.Reply(503, new OciError(DistributionErrorCodes.Unavailable, incident.Tell("the tag ledger failed verification; refusing to serve: " + integrity.Message)), RequestOutcome.IntegrityError);
            }

            case RegexMatchTimeoutException timeout:
                // A mutable-tag pattern that backtracks without end: the tag can be judged neither way.
                RegistryLog.PolicyTimeout(logger, path, timeout.Pattern);
                return FailureAnswer.Reply(500, new OciError(DistributionErrorCodes.Unknown, $"the mutable-tag pattern \"{timeout.Pattern}\" took longer than {TagPolicy.MatchTimeout.TotalMilliseconds:0} ms on this tag; nothing was served or pinned"), RequestOutcome.Error);
            case OperationCanceledException when clientGone:
                // The client went away; nothing to answer.
                return FailureAnswer.NoReply(RequestOutcome.Aborted, abort: false);
            case IOException or HttpRequestException:
                // A stream broke mid-body (client or upstream). The status is already sent.
                RegistryLog.StreamBroken(logger, path, e.Message);
                return FailureAnswer.NoReply(RequestOutcome.Aborted, abort: true);
            default:
                return null;
        }
    }

    /// <summary>Not found is the client's business; a destination the SSRF guard refused (no upstream status) is ours; the rest is upstream's.</summary>
    internal static string OutcomeOf(UpstreamException e) => e.Status switch
    {
        404 => RequestOutcome.NotFound,
        403 when e.UpstreamStatus is null => RequestOutcome.Denied,
        _ => RequestOutcome.UpstreamError,
    };
}
