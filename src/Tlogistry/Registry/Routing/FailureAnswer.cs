using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Tlogistry.Oci;
using Tlogistry.Upstream;

namespace Tlogistry.Registry.Routing;

/// <summary>A failure's answer: an OCI error with its status, or (the client gone, the body under way) none.</summary>
internal sealed record FailureAnswer
{
    private FailureAnswer(int? status, OciError? error, string outcome, bool abort)
    {
        Status = status;
        Error = error;
        Outcome = outcome;
        Abort = abort;
    }

    public int? Status { get; }

    public OciError? Error { get; }

    public string Outcome { get; }

    /// <summary>Cut the connection: a body under way must not look complete.</summary>
    public bool Abort { get; }

    /// <summary>The status upstream answered with, for the request's log line.</summary>
    public int? UpstreamStatus { get; init; }

    /// <summary>When upstream said to retry; passed on while headers can still be set.</summary>
    public TimeSpan? RetryAfter { get; init; }

    [MemberNotNullWhen(true, nameof(Error), nameof(Status))]
    public bool Replies => Error is not null;

    public static FailureAnswer Reply(int status, OciError error, string outcome) => new(status, error, outcome, abort: false);

    public static FailureAnswer NoReply(string outcome, bool abort) => new(null, null, outcome, abort);

    public Task WriteAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (UpstreamStatus is int upstreamStatus)
        {
            RequestOutcome.SetUpstreamStatus(context, upstreamStatus);
        }

        if (RetryAfter is TimeSpan retry && !context.Response.HasStarted)
        {
            context.Response.Headers.RetryAfter = UpstreamErrors.Format(retry);
        }

        if (Replies)
        {
            return OciResponses.WriteErrorAsync(context, Status.Value, Error, Outcome, cancellationToken);
        }

        RequestOutcome.Set(context, Outcome);
        if (Abort)
        {
            context.Abort();
        }

        return Task.CompletedTask;
    }
}
