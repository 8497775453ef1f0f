using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tlogistry.Oci;
using Tlogistry.Registry;
using Tlogistry.Store;
using Tlogistry.Transparency;

namespace Tlogistry.Host;

/// <summary>
/// <c>GET /readyz</c>: 200 <c>ready</c> when the store answers a trivial query and the log a
/// cheap read, each within <see cref="Timeout"/>; otherwise 503 with one OCI <c>UNAVAILABLE</c>
/// error per part that failed, named <c>store:</c> or <c>log:</c>. A load balancer sends tag
/// requests only where both work; <c>/healthz</c> says only that the process is alive.
/// </summary>
internal sealed partial class Readiness
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly ISightingIndex _store;
    private readonly ITransparencyLog _log;

    private readonly ILogger _logger;

    public Readiness(ISightingIndex store, ITransparencyLog log, ILogger<Readiness> logger)
    {
        _store = store;
        _log = log;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var failures = await Task.WhenAll(ProbeAsync("store", _store.CheckAsync, _logger, ct), ProbeAsync("log", _log.CheckAsync, _logger, ct));
        var errors = failures.OfType<string>().Select(m => new OciError(DistributionErrorCodes.Unavailable, m)).ToList();
        if (errors.Count > 0)
        {
            await OciResponses.WriteErrorsAsync(context, StatusCodes.Status503ServiceUnavailable, errors, RequestOutcome.LogError, ct);
            return;
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("ready", ct);
    }

    /// <summary>Why <paramref name="part"/> is not ready, or null when it is.</summary>
    private static async Task<string?> ProbeAsync(string part, Func<CancellationToken, Task> check, ILogger logger, CancellationToken requestAborted)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        deadline.CancelAfter(Timeout);
        try
        {
            // WaitAsync as well: a check that ignores its token still cannot hold the answer back.
            await check(deadline.Token).WaitAsync(Timeout, requestAborted);
            return null;
        }
        catch (Exception e) when (!requestAborted.IsCancellationRequested)
        {
            if (e is TimeoutException or OperationCanceledException)
            {
                return $"{part}: no answer within {Timeout.TotalSeconds:0} s";
            }

            // The reason may name the store's or log's address, or SQL: logged, not sent.
            var incident = Tlogistry.Http.Incident.New();
            Log.NotReady(logger, part, incident.Reference, e.Message);
            return $"{part}: " + incident.Tell("unavailable");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "not ready: {Part} (reference {Reference}): {Reason}")]
        public static partial void NotReady(ILogger logger, string part, string reference, string reason);
    }
}
