using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tlogistry.Http;
using Tlogistry.Telemetry;

namespace Tlogistry.LogServer;

/// <summary>
/// <c>GET /readyz</c> of <c>log serve</c>: 200 <c>ready</c> when the log takes appends and its
/// checkpoint and entry sidecar can be read; otherwise 503 with a generic message and a
/// reference, the reason being logged under it (it names files on the server).
/// </summary>
internal sealed partial class LogReadiness
{
    private readonly ServedLog _log;
    private readonly ILogger _logger;

    public LogReadiness(ServedLog log, ILogger logger)
    {
        _log = log;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            _log.CheckReadable();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or System.Data.Common.DbException)
        {
            var incident = Incident.New();
            Log.NotReady(_logger, incident.Reference, e);
            await ApiResponses.ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, incident.Tell("the log cannot be read"));
            return;
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("ready", context.RequestAborted);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.LogServer.NotReady, Level = LogLevel.Error, Message = "not ready (reference {Reference})")]
        public static partial void NotReady(ILogger logger, string reference, Exception exception);
    }
}
