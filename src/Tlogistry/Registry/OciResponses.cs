using Microsoft.AspNetCore.Http;
using Tlogistry.Oci;

namespace Tlogistry.Registry;

/// <summary>Writes OCI distribution-spec error bodies, noting the request's outcome.</summary>
internal static class OciResponses
{
    public static Task WriteErrorAsync(HttpContext context, int status, OciError error, string outcome, CancellationToken cancellationToken) =>
        WriteErrorsAsync(context, status, [error], outcome, cancellationToken);

    public static Task WriteErrorsAsync(HttpContext context, int status, IReadOnlyList<OciError> errors, string outcome, CancellationToken cancellationToken)
    {
        RequestOutcome.Set(context, outcome);
        if (context.Response.HasStarted)
        {
            // Too late for a status: cut the connection so the client sees a failure, not a short body.
            context.Abort();
            return Task.CompletedTask;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return Task.CompletedTask;
        }

        return context.Response.Body.WriteAsync(OciErrorBody.ToUtf8Json(errors), cancellationToken).AsTask();
    }
}
