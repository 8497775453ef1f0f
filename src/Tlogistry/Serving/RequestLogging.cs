using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tlogistry.Registry;
using Tlogistry.Telemetry;

namespace Tlogistry.Serving;

/// <summary>
/// The end of every request: one structured log line (method, path, status, upstream
/// status, outcome, duration) and one count by route and outcome. Only the path is logged,
/// never headers or the query, so no credential reaches a log.
/// </summary>
internal sealed partial class RequestLogging
{
    private readonly RequestDelegate _next;
    private readonly ILogger<RequestLogging> _logger;
    private readonly TlogistryMetrics _metrics;

    public RequestLogging(RequestDelegate next, ILogger<RequestLogging> logger, TlogistryMetrics metrics)
    {
        _next = next;
        _logger = logger;
        _metrics = metrics;
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
            var outcome = RequestOutcome.Get(context);
            _metrics.Request(RequestOutcome.GetRoute(context), outcome);
            Log.Request(
                _logger,
                context.Request.Method,
                Printable(context.Request.Path.Value ?? "/"),
                context.Response.StatusCode,
                upstream?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                outcome,
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
        [LoggerMessage(EventId = EventIds.Host.Request, Level = LogLevel.Information,
            Message = "{Method} {Path} status={Status} upstream={UpstreamStatus} outcome={Outcome} ms={ElapsedMs:0.0}")]
        public static partial void Request(ILogger logger, string method, string path, int status, string upstreamStatus, string outcome, double elapsedMs);
    }
}
