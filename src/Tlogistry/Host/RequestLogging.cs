using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tlogistry.Registry;

namespace Tlogistry.Host;

/// <summary>
/// One structured line per request: method, path, status, upstream status and outcome.
/// Only the path is logged, never headers or the query, so no credential reaches a log.
/// </summary>
internal sealed partial class RequestLogging
{
    private readonly RequestDelegate _next;
    private readonly ILogger<RequestLogging> _logger;

    public RequestLogging(RequestDelegate next, ILogger<RequestLogging> logger)
    {
        _next = next;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await _next(context);
        }
        finally
        {
            var upstream = RequestOutcome.GetUpstreamStatus(context);
            Log.Request(
                _logger,
                context.Request.Method,
                Printable(context.Request.Path.Value ?? "/"),
                context.Response.StatusCode,
                upstream?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                RequestOutcome.Get(context),
                Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }

    /// <summary>A path as one safe log field: control characters cannot forge lines, and length is bounded.</summary>
    internal static string Printable(string path)
    {
        var clipped = path.Length > 512 ? path[..512] + "…" : path;
        return string.Create(clipped.Length, clipped, (span, s) =>
        {
            for (var i = 0; i < s.Length; i++)
            {
                span[i] = char.IsControl(s[i]) ? '?' : s[i];
            }
        });
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Information,
            Message = "{Method} {Path} status={Status} upstream={UpstreamStatus} outcome={Outcome} ms={ElapsedMs:0.0}")]
        public static partial void Request(ILogger logger, string method, string path, int status, string upstreamStatus, string outcome, double elapsedMs);
    }
}
