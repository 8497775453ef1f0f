using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Tlogistry.Host;

/// <summary>
/// Headers on every answer, whatever route or error wrote it: <c>nosniff</c>, so a browser
/// renders only by the declared type, and a sandboxing Content-Security-Policy, so nothing a
/// response carries (bytes relayed from upstream above all) runs as a page of this origin.
/// The pages set their own, narrower policy (<c>Web/PageShell</c>) before they are sent.
/// </summary>
internal sealed class SecurityHeaders
{
    /// <summary>For everything that is not one of the proxy's own pages: no content loads, no script runs, no form posts.</summary>
    public const string SandboxPolicy = "default-src 'none'; sandbox; frame-ancestors 'none'";

    private readonly RequestDelegate _next;

    public SecurityHeaders(RequestDelegate next)
    {
        _next = next;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var headers = context.Response.Headers;
        context.Response.OnStarting(() =>
        {
            headers.XContentTypeOptions = "nosniff";
            if (!headers.ContainsKey(HeaderNames.ContentSecurityPolicy))
            {
                headers.ContentSecurityPolicy = SandboxPolicy;
            }

            return Task.CompletedTask;
        });
        return _next(context);
    }
}
