using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tlogistry.Serving;
using Tlogistry.Telemetry;
using Tlogistry.Transparency.Embedded;

namespace Tlogistry.LogServer;

/// <summary>Where and how <c>tlogistry log serve</c> runs.</summary>
/// <param name="Port">0 picks a free port (tests).</param>
/// <param name="PublicUrl">The URL clients reach the log at; default http://127.0.0.1:port.</param>
/// <param name="Listen">The interface to listen on; every interface when null.</param>
/// <param name="Writers">Whose entries are appended (default: anyone's).</param>
/// <param name="LogFormat">Console log format: text (default) or json.</param>
/// <param name="MetricsPort">A second port serving only <c>/metrics</c>; 0: <c>/metrics</c> on the main port.</param>
internal sealed record LogServerSettings(string DataDir, int Port, string? PublicUrl, ListenAddress? Listen = null, WriterPolicy? Writers = null, string? LogFormat = null, int MetricsPort = 0);

/// <summary>
/// <c>tlogistry log serve</c>: the embedded log over HTTP, speaking the Rekor v2 write API,
/// the C2SP tiles read API and a Rekor v1 subset, plus <c>GET /api/v1/trusted_root.json</c>
/// (not a Rekor route) so a verifier can fetch the trust material for this log, and an RFC 3161
/// timestamp authority (<c>POST /api/v1/timestamp</c>) that the trusted root names.
/// </summary>
internal static partial class LogServerApp
{
    public static async Task<WebApplication> StartAsync(LogServerSettings settings, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        Telemetry.ConsoleLogs.Add(builder.Logging, settings.LogFormat);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        var metricsPort = Telemetry.TelemetrySetup.MetricsPort(settings.MetricsPort, settings.Port);
        Telemetry.TelemetrySetup.Add(builder.Services, otlpEndpoint: null);
        builder.WebHost.ConfigureKestrel(k =>
        {
            (settings.Listen ?? ListenAddress.Any).Listen(k, settings.Port);
            if (metricsPort > 0)
            {
                (settings.Listen ?? ListenAddress.Any).Listen(k, metricsPort);
            }

            k.AddServerHeader = false;
            // The handlers bound bodies to 1 MiB and answer 413 themselves; Kestrel's cap is a backstop.
            k.Limits.MaxRequestBodySize = ApiResponses.MaxBody + 1;
            k.Limits.MaxRequestLineSize = 8 * 1024;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
        });

        var dataDir = Path.GetFullPath(settings.DataDir);
        Directory.CreateDirectory(dataDir);
        var app = builder.Build();
        Telemetry.TelemetrySetup.Start(app.Services);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Tlogistry.LogServer");
        var log = await ServedLog.OpenAsync(dataDir, TimeProvider.System, app.Services.GetRequiredService<ILoggerFactory>(), cancellationToken);
        app.Lifetime.ApplicationStopped.Register(log.Dispose);
        log.Writers = settings.Writers ?? WriterPolicy.Open;
        if (log.Writers.IsOpen)
        {
            Log.OpenLog(logger);
        }

        var tsa = LogTimestampAuthority.LoadOrCreate(dataDir, TimeProvider.System);
        app.Lifetime.ApplicationStopped.Register(tsa.Dispose);
        var tiles = new TileApi(log.Embedded, log.LogDirectory, ApiResponses.ErrorAsync);
        var v1 = new RekorV1Api(log);
        var v2 = new RekorV2Api(log);
        app.Use(async (context, next) =>
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                Log.Request(logger, context.Request.Method, RequestLogging.Printable(context.Request.Path.Value ?? "/"), context.Response.StatusCode, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        });

        RequestDelegate Guard(Func<HttpContext, Task> handler) => ApiResponses.Guard(handler, e => Log.Failed(logger, e));
        tiles.Map(app, Guard);
        app.MapPost("/api/v2/log/entries", Guard(v2.CreateAsync));
        app.MapPost("/api/v1/log/entries", Guard(v1.CreateAsync));
        app.MapGet("/api/v1/log/entries", Guard(v1.GetByIndexAsync));
        app.MapGet("/api/v1/log/entries/{uuid}", Guard(v1.GetByUuidAsync));
        app.MapPost("/api/v1/log/entries/retrieve", Guard(v1.RetrieveAsync));
        app.MapPost("/api/v1/index/retrieve", Guard(v1.SearchIndexAsync));
        app.MapGet("/api/v1/log", Guard(v1.LogInfoAsync));
        app.MapGet("/api/v1/log/proof", Guard(v1.ConsistencyProofAsync));
        app.MapGet("/api/v1/log/publicKey", Guard(v1.PublicKeyAsync));
        app.MapPost("/api/v1/timestamp", Guard(tsa.HandleAsync));
        byte[] trustedRoot = [];
        app.MapGet("/api/v1/trusted_root.json", (HttpContext c) =>
        {
            c.Response.ContentType = "application/json";
            return c.Response.Body.WriteAsync(trustedRoot, c.RequestAborted).AsTask();
        });
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", new LogReadiness(log, logger).HandleAsync);
        Telemetry.TelemetrySetup.Map(app, metricsPort);
        app.MapFallback(Guard(c => ApiResponses.ErrorAsync(c, StatusCodes.Status404NotFound, "no such route")));

        await app.StartAsync(cancellationToken);
        var port = ListenAddress.BoundPort(app) ?? settings.Port;
        var baseUrl = (settings.PublicUrl ?? string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}")).TrimEnd('/');
        // The base URL is known only once the port is bound (port 0 in tests).
        log.V1SignerName = new Uri(baseUrl).Authority;
        trustedRoot = TrustedRootFile.Build(log, baseUrl, tsa);
        DurableFile.Write(Path.Combine(dataDir, "trusted_root.json"), trustedRoot, atomicReplace: true);

        Log.Started(logger, port, (settings.Listen ?? ListenAddress.Any).ToString(), dataDir, log.Embedded.Origin, log.Embedded.Size, baseUrl);
        return app;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.LogServer.Started, Level = LogLevel.Information,
            Message = "tlogistry log listening on port {Port} of {Listen}; data in {DataDir}; log {Origin} at size {Size}; served as {BaseUrl}")]
        public static partial void Started(ILogger logger, int port, string listen, string dataDir, string origin, long size, string baseUrl);

        [LoggerMessage(EventId = EventIds.LogServer.Request, Level = LogLevel.Information, Message = "{Method} {Path} status={Status} ms={ElapsedMs:0.0}")]
        public static partial void Request(ILogger logger, string method, string path, int status, double elapsedMs);

        [LoggerMessage(EventId = EventIds.LogServer.OpenLog, Level = LogLevel.Warning, Message = "this is an open log: any well-formed, validly signed entry is appended; pass --writer-key to accept only your signers")]
        public static partial void OpenLog(ILogger logger);

        [LoggerMessage(EventId = EventIds.LogServer.Failed, Level = LogLevel.Error, Message = "request failed")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
