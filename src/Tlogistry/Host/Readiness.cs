using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tlogistry.Oci;
using Tlogistry.Registry;
using Tlogistry.Store;
using Tlogistry.Telemetry;
using Tlogistry.Transparency;

namespace Tlogistry.Host;

/// <summary>
/// What this replica can do, for a load balancer and a monitor. <c>GET /readyz</c>: 200
/// <c>ready</c> while the store answers a read of its sightings table, which is all serving a
/// pinned tag (and its blobs) needs, so a log outage does not take every replica out of the
/// balancer. <c>GET /readyz/record</c>: 200 when, in addition, first sightings can be recorded
/// (the log answers a cheap read and the signer has what it signs with), also published as the
/// gauge <c>tlogistry.first_sightings.ready</c>. Each part must answer within
/// <see cref="Timeout"/>; a failure is one OCI <c>UNAVAILABLE</c> error naming the part
/// (<c>store:</c>, <c>log:</c>, <c>signer:</c>) with a generic reason, the detail (SQL, URLs)
/// going to the service log only.
/// </summary>
internal sealed partial class Readiness
{
    public const string RecordPath = "/readyz/record";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>How old the gauge's answer may be before a scrape starts a new probe.</summary>
    private static readonly TimeSpan GaugeFreshFor = TimeSpan.FromSeconds(10);
    private readonly ISightingIndex _store;
    private readonly ITransparencyLog _log;
    private readonly Func<CancellationToken, Task>? _signer;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private int _canRecord = -1;
    private long _probedAt = long.MinValue;
    private int _probing;

    /// <param name="signer">Readies the signer (keyless: a Fulcio certificate); null when a key in hand needs nothing.</param>
    public Readiness(ISightingIndex store, ITransparencyLog log, Func<CancellationToken, Task>? signer, IMeterFactory meters, TimeProvider time, ILogger<Readiness> logger)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _store = store;
        _log = log;
        _signer = signer;
        _time = time;
        _logger = logger;
        meters.Create(TlogistryMetrics.MeterName).CreateObservableGauge(
            "tlogistry.first_sightings.ready",
            ObserveCanRecord,
            description: "1 when this replica can record first sightings (log reachable, signer ready), 0 when not; absent until first probed.");
    }

    /// <summary><c>GET /readyz</c>: can this replica serve the pins it holds.</summary>
    public Task HandleAsync(HttpContext context) => AnswerAsync(context, ["store"], "ready");

    /// <summary><c>GET /readyz/record</c>: can this replica also record first sightings.</summary>
    public Task RecordAsync(HttpContext context) => AnswerAsync(context, ["store", "log", "signer"], "ready to record first sightings");

    private async Task AnswerAsync(HttpContext context, string[] parts, string ready)
    {
        var ct = context.RequestAborted;
        var failures = await ProbeAsync(parts, ct);
        if (parts.Contains("log"))
        {
            Record(failures.Count == 0);
        }

        if (failures.Count > 0)
        {
            var errors = failures.Select(m => new OciError(DistributionErrorCodes.Unavailable, m)).ToList();
            await OciResponses.WriteErrorsAsync(context, StatusCodes.Status503ServiceUnavailable, errors, RequestOutcome.LogError, ct);
            return;
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(ready, ct);
    }

    /// <summary>Why each of <paramref name="parts"/> is not ready, in that order; empty when all are.</summary>
    private async Task<List<string>> ProbeAsync(string[] parts, CancellationToken ct)
    {
        var checks = parts.Select(part => part switch
        {
            "store" => ProbeAsync(part, _store.CheckAsync, ct),
            "log" => ProbeAsync(part, _log.CheckAsync, ct),
            _ => _signer is null ? Task.FromResult<string?>(null) : ProbeAsync(part, _signer, ct),
        });
        return [.. (await Task.WhenAll(checks)).OfType<string>()];
    }

    /// <summary>Why <paramref name="part"/> is not ready, or null when it is; the reason given out is generic, the service log has the detail.</summary>
    private async Task<string?> ProbeAsync(string part, Func<CancellationToken, Task> check, CancellationToken requestAborted)
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
                Log.NotReady(_logger, part, "no answer in time");
                return $"{part}: no answer within {Timeout.TotalSeconds:0} s";
            }

            // The reason may name the store's or log's address, or SQL: logged under a reference, not sent.
            var incident = Tlogistry.Http.Incident.New();
            Log.NotReady(_logger, part, $"(reference {incident.Reference}) {e.Message}");
            return $"{part}: " + incident.Tell(part switch
            {
                "store" => "the sighting store cannot be read",
                "log" => "the transparency log cannot be reached",
                _ => "not ready to sign",
            });
        }
    }

    private void Record(bool canRecord)
    {
        Volatile.Write(ref _canRecord, canRecord ? 1 : 0);
        Volatile.Write(ref _probedAt, _time.GetTimestamp());
    }

    /// <summary>The last answer; a stale one starts a probe in the background, whose answer the next scrape sees.</summary>
    private IEnumerable<Measurement<int>> ObserveCanRecord()
    {
        var probedAt = Volatile.Read(ref _probedAt);
        if ((probedAt == long.MinValue || _time.GetElapsedTime(probedAt) > GaugeFreshFor) && Interlocked.Exchange(ref _probing, 1) == 0)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    Record((await ProbeAsync(["store", "log", "signer"], CancellationToken.None)).Count == 0);
                }
                finally
                {
                    Volatile.Write(ref _probing, 0);
                }
            });
        }

        var value = Volatile.Read(ref _canRecord);
        return value < 0 ? [] : [new Measurement<int>(value)];
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Host.NotReady, Level = LogLevel.Warning, Message = "readiness: {Part} is not ready: {Reason}")]
        public static partial void NotReady(ILogger logger, string part, string reason);
    }
}
