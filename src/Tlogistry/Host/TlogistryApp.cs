using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tlogistry.Http;
using Tlogistry.Ledger;
using Tlogistry.Registry;
using Tlogistry.Registry.Routing;
using Tlogistry.Registry.Tags;
using Tlogistry.Registry.Tlog;
using Tlogistry.Serving;
using Tlogistry.Signing;
using Tlogistry.Store;
using Tlogistry.Telemetry;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Rekor;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Upstream;
using Tlogistry.Upstream.Guard;
using Tlogistry.Web;

namespace Tlogistry.Host;

/// <summary>
/// The composition root: reads configuration, opens the data directory (keys, log, index),
/// reconciles the index with the log and wires the registry API into Kestrel.
/// </summary>
internal static partial class TlogistryApp
{
    /// <summary>
    /// Builds the service; <paramref name="overrides"/> are flag values and win over every other source.
    /// <paramref name="serving"/> is false for a command that only opens the data (index rebuild):
    /// it neither reconciles the embedded log at start nor announces a listener.
    /// </summary>
    public static async Task<WebApplication> BuildAsync(
        IReadOnlyDictionary<string, string?> overrides,
        string[] configArgs,
        CancellationToken cancellationToken,
        bool serving = true)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = configArgs });
        builder.Configuration.AddInMemoryCollection(overrides);
        var options = builder.Configuration.GetSection(TlogistryOptions.Section).Get<TlogistryOptions>() ?? new TlogistryOptions();
        builder.Logging.ClearProviders();
        ConsoleLogs.Add(builder.Logging, options.LogFormat, typeof(RequestLogging).FullName!);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        TelemetrySetup.Add(builder.Services, TelemetrySetup.OtlpEndpoint(options.OtlpEndpoint, builder.Configuration[TelemetrySetup.OtlpEndpointVariable]));

        var port = options.ResolvePort(Environment.GetEnvironmentVariable("PORT"));
        var listenAddress = ListenAddress.Parse(options.Listen);
        var metricsPort = TelemetrySetup.MetricsPort(options.MetricsPort, port);
        var dataDir = Path.GetFullPath(string.IsNullOrWhiteSpace(options.DataDir) ? TlogistryOptions.DefaultDataDir() : options.DataDir);
        var upstream = builder.Configuration.GetSection(TlogistryOptions.Section + ":Upstream").Get<UpstreamOptions>() ?? new UpstreamOptions();
        foreach (var flag in options.Upstreams)
        {
            var (host, url) = UpstreamEndpoints.ParseFlag(flag);
            upstream.Map[host] = url;
        }

        upstream.Validate();

        var onUnavailable = options.ParseUnavailablePolicy();
        var tagPolicy = options.ParseTagPolicy();
        var heldPins = options.ParseHeldPinSettings();
        var tls = ServerTls.Load(options.TlsCert, options.TlsKey);
        var storeChoice = StoreChoice.Parse(options.Store) with
        {
            MaxMoveRows = options.MovesMaxRows >= 1 ? options.MovesMaxRows : throw new FormatException($"--moves-max-rows must be 1 or more, got {options.MovesMaxRows}"),
        };
        var notify = Moves.Notify.WebhookUrl.ParseAll(options.Notify);
        var publicUrl = PublicUrl.Parse(options.PublicUrl);
        builder.WebHost.ConfigureKestrel(k =>
        {
            // One port: HTTPS when a certificate is configured (HTTP/2 or 1.1 chosen by ALPN), else plain HTTP.
            listenAddress.Listen(k, port, listen =>
            {
                if (tls is not null)
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listen.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = tls.Certificate,
                        ServerCertificateChain = tls.Chain,
                    });
                }
            });
            if (metricsPort > 0)
            {
                listenAddress.Listen(k, metricsPort);
            }

            k.AddServerHeader = false;

            // A read-only registry needs small requests: bound everything a client sends.
            k.Limits.MaxRequestBodySize = 64 * 1024;
            k.Limits.MaxRequestLineSize = 8 * 1024;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.Limits.MaxRequestHeaderCount = 64;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);

            // Room for a few streaming chunks, so reading upstream overlaps sending to the client.
            k.Limits.MaxResponseBufferSize = 1024 * 1024;
        });
        RateLimits.Add(builder.Services, options);

        Directory.CreateDirectory(dataDir);
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(upstream);
        var endpoints = new UpstreamEndpoints(upstream);
        services.AddSingleton(endpoints);
        services.AddSingleton<TokenCache>();
        var registries = new RegistryPolicy(upstream.AllowRegistries, upstream.DenyRegistries);
        services.AddSingleton(registries);
        services.AddSingleton(tagPolicy);
        services.AddSingleton(new ConnectGuard(endpoints.Mapped.Concat(registries.ExplicitlyAllowed)));
        services.AddSingleton<RegistryClient>();
        services.AddSingleton<ManifestFetcher>();
        var manifestCacheBytes = options.ManifestCacheBytes >= 0
            ? options.ManifestCacheBytes
            : throw new FormatException($"ManifestCacheBytes must be 0 (off) or more, got {options.ManifestCacheBytes}");
        services.AddSingleton(sp => new ManifestCache(manifestCacheBytes, sp.GetRequiredService<Telemetry.TlogistryMetrics>()));
        var logChoice = LogChoice.Parse(options.Log).WithPublicUrl(options.LogPublicUrl);
        services.AddSingleton(logChoice);
        services.AddSingleton(UpstreamRecord.Parse(options.RecordUpstream, logChoice));
        var rekor = JsonHttpOptions.ForRekor();
        builder.Configuration.GetSection(TlogistryOptions.Section + ":Rekor").Bind(rekor);
        SignerSetup.Add(services, options, logChoice, rekor, dataDir, storeChoice.IsShared);
        LogSetup.Add(services, logChoice, options.TrustedRoot, rekor, dataDir);
        LegacySetup.Add(services, options);

        // Opened now, after every setting is read, so a store that is down or at a newer schema stops the start.
        var store = await storeChoice.OpenAsync(dataDir, options.StoreLockTimeout, logChoice.Kind != LogKind.RekorV2, cancellationToken);
        services.AddSingleton(_ => store);
        services.AddSingleton<ITagMoves>(_ => store);
        services.AddSingleton<Moves.MoveRecorder>();
        services.AddSingleton<TagLedger>();
        if (FirstSightingLimiter.Create(options.FirstSightingsPerMinute, options.FirstSightingBurst) is { } firstSightings)
        {
            services.AddSingleton(firstSightings);
        }

        services.AddSingleton(sp => new HeldPins(
            sp.GetRequiredService<ISightingIndex>(),
            heldPins,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<HeldPins>()));
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<RegistryApi>(sp, onUnavailable));
        services.AddSingleton<BundleApi>();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<MovesApi>(sp, PublicUrl.Parse(options.PublicUrl).Origin));
        services.AddSingleton(sp => new Readiness(
            sp.GetRequiredService<ISightingIndex>(),
            sp.GetRequiredService<ITransparencyLog>(),
            sp.GetService<Signing.Keyless.KeylessSigner>() is { } keylessSigner ? keylessSigner.EnsureCertificateAsync : null,
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<Readiness>>()));
        services.AddSingleton(sp => new TrustApi(
            sp.GetRequiredService<TrustedRoot>(),
            sp.GetService<Transparency.Embedded.EmbeddedLog>()?.Trusted,
            sp.GetService<InstanceKey>() is null ? [] : [.. sp.GetRequiredService<SightingReader>().SearchKeys.Select(k => k.PublicKeyDer)],
            sp.GetRequiredService<SightingReader>().Identity,
            new PublishedLog(logChoice.Kind, sp.GetRequiredService<ITransparencyLog>().LogId),
            sp.GetService<Transparency.Embedded.EmbeddedLog>() is { } embeddedLog ? Serving.TileApi.OriginPath(embeddedLog.Origin) : ""));
        // The pages read the record of moves when one is kept (a page given none says none is recorded).
        // Both stores count; a store that could not would stop the start here, not a page view later.
        services.AddSingleton(_ => (ISightingCounts)store);
        services.AddSingleton(sp => new SiteCounts(
            sp.GetRequiredService<ISightingCounts>(),
            sp.GetService<ITagMoves>(),
            sp.GetRequiredService<LogHistory>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new HomePage(
            sp.GetRequiredService<SightingReader>().Identity,
            sp.GetRequiredService<ITransparencyLog>().Description,
            string.Join(", ", sp.GetRequiredService<TrustedRoot>().Logs.Select(l => l.BaseUrl).Distinct()),
            PublicUrl.Parse(options.PublicUrl),
            sp.GetRequiredService<SiteCounts>(),
            sp.GetRequiredService<ISightingCounts>(),
            sp.GetService<ITagMoves>()));
        services.AddSingleton(sp => new HistoryPage(
            sp.GetRequiredService<ISightingIndex>(),
            sp.GetRequiredService<SightingReader>(),
            sp.GetRequiredService<ITransparencyLog>().Description,
            publicUrl,
            policy: sp.GetRequiredService<Policy.TagPolicy>(),
            moves: sp.GetService<ITagMoves>()));
        services.AddSingleton(sp => new MovesPage(sp.GetService<ITagMoves>(), sp.GetService<ILogger<MovesPage>>()));
        NotifySetup.Add(services, notify, publicUrl);

        var app = builder.Build();
        TelemetrySetup.Start(app.Services);

        // Open the log and index now, so a damaged data directory stops the start with its reason.
        var ledger = app.Services.GetRequiredService<TagLedger>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Tlogistry");
        // First the log must still hold what the store saw of it (a log deleted or restored from
        // an old copy stops the start); then the embedded log, local and the only log whose
        // entries can be missing from the store without the operator knowing, is scanned.
        if (serving)
        {
            await app.Services.GetRequiredService<LogHistory>().CheckAtStartAsync(cancellationToken);
        }

        var reindexed = serving && logChoice.Kind == LogKind.Embedded ? await ledger.ReconcileAsync(cancellationToken) : 0;

        // First sightings that reached the log (or may have) but not the store: the same request again.
        var resumed = serving ? await ledger.ResumeIntentsAsync(cancellationToken) : 0;
        if (resumed > 0)
        {
            Log.IntentsResumed(logger, resumed);
        }

        if (serving)
        {
            await ForeignPins.WarnAsync(store, app.Services.GetRequiredService<SightingReader>(), logger, cancellationToken);
        }

        if (app.Services.GetService<Signing.Keyless.KeylessSigner>() is { } keyless)
        {
            await CheckKeylessIdentityAsync(keyless, ledger.Identity, logger, cancellationToken);
        }

        if (serving)
        {
            // Said once the socket is bound, so the line is true and names the port the OS gave for port 0.
            var logDescription = app.Services.GetRequiredService<ITransparencyLog>().Description;
            app.Lifetime.ApplicationStarted.Register(() =>
                Log.Started(logger, ListenAddress.BoundPort(app) ?? port, listenAddress.ToString(), dataDir, ledger.Identity, logDescription, store.Description, reindexed));
        }
        else
        {
            Log.Opened(logger, dataDir, ledger.Identity, app.Services.GetRequiredService<ITransparencyLog>().Description, store.Description);
        }

        if (storeChoice.IsShared && logChoice.Kind == LogKind.Embedded)
        {
            Log.SharedStoreLocalLog(logger);
        }

        if (tls is not null)
        {
            Log.ServingTls(logger, port, tls.Describe());
            if (!tls.ValidAt(DateTime.UtcNow))
            {
                // Served anyway: refusing to start would not make clients accept it either.
                Log.CertificateNotValidNow(logger, tls.Describe());
            }
        }

        foreach (var (host, url) in upstream.Map)
        {
            Log.UpstreamMapped(logger, host, url);
        }

        foreach (var line in tagPolicy.Describe())
        {
            Log.TagPolicy(logger, line);
        }

        app.UseMiddleware<SecurityHeaders>();
        app.UseMiddleware<RequestLogging>();
        RateLimits.Use(app, options);
        var api = app.Services.GetRequiredService<RegistryApi>();
        var home = app.Services.GetRequiredService<HomePage>();
        app.MapGet("/", home.HandleAsync);
        app.MapGet(HistoryPage.Path, app.Services.GetRequiredService<HistoryPage>().HandleAsync);
        app.MapGet(MovesPage.Path, app.Services.GetRequiredService<MovesPage>().HandleAsync);
        var docs = new DocsPage();
        app.MapGet(DocsPage.Path, docs.HandleAsync);
        app.MapGet(DocsPage.NamedPath, docs.HandleAsync);
        app.MapGet("/healthz", () => Results.Text("ok"));
        var readiness = app.Services.GetRequiredService<Readiness>();
        app.MapGet("/readyz", readiness.HandleAsync);
        app.MapGet(Readiness.RecordPath, readiness.RecordAsync);
        TelemetrySetup.Map(app, metricsPort);
        var bundles = app.Services.GetRequiredService<BundleApi>();
        app.MapGet(BundleApi.BundlePath, bundles.BundleAsync);
        app.MapGet(BundleApi.ExportPath, bundles.ExportAsync);
        app.MapGet(MovesApi.Path, app.Services.GetRequiredService<MovesApi>().ListAsync);
        app.MapGet(IntentApi.Path, new IntentApi(app.Services.GetRequiredService<ISightingIndex>()).ListAsync);
        var trust = app.Services.GetRequiredService<TrustApi>();
        app.MapGet(TrustApi.TrustedRootPath, trust.TrustedRootAsync);
        app.MapGet(TrustApi.KeyPath, trust.KeyAsync);
        app.MapGet(TrustApi.KeysPath, trust.KeysAsync);
        app.MapGet(TrustApi.KeysPath + "/{file}", trust.KeyByIdAsync);
        app.MapGet(PublishedLog.Path, trust.LogAsync);
        if (app.Services.GetService<Transparency.Embedded.EmbeddedLog>() is { } embedded)
        {
            // The embedded log's C2SP tiles read API, so anyone can check its checkpoints and
            // compute proofs without trusting this service's word.
            var tiles = new Serving.TileApi(embedded, Path.Combine(dataDir, "log"), (c, status, message) =>
                OciResponses.WriteErrorAsync(c, status, new Oci.OciError(Oci.OciErrorCodes.BlobUnknown, message), Registry.RequestOutcome.NotFound, c.RequestAborted));
            tiles.Map(app, handler => c => UnavailableOnFailure(c, handler));
        }

        // The registry API routes by the raw path itself, so it takes every other path: /v2/…,
        // and anything else (file-like ones such as /.env included) for an OCI 404.
        app.MapFallback("{**path}", api.HandleAsync);
        return app;
    }

    /// <summary>A tile that cannot be read (a concurrent append replaced it three times over) answers 503, not 500.</summary>
    private static async Task UnavailableOnFailure(HttpContext context, Func<HttpContext, Task> handler)
    {
        try
        {
            await handler(context);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException && !context.Response.HasStarted)
        {
            // The reason names files of the data directory: logged, not sent.
            var incident = Incident.New();
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Tlogistry").LogWarning(e, "tile unavailable (reference {Reference})", incident.Reference);
            await OciResponses.WriteErrorAsync(context, 503, new Oci.OciError(Oci.DistributionErrorCodes.Unavailable, incident.Tell("the tile cannot be read now")), Registry.RequestOutcome.Error, context.RequestAborted);
        }
    }

    /// <summary>
    /// Gets the first certificate now, so that a token for another identity stops the start
    /// rather than every first sighting; Fulcio being unreachable only warns (503s until it is back).
    /// </summary>
    private static async Task CheckKeylessIdentityAsync(Signing.Keyless.KeylessSigner signer, string expected, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await signer.EnsureCertificateAsync(cancellationToken);
        }
        catch (Signing.Keyless.FulcioException e) when (e.CertificateRefused)
        {
            // A certificate for another identity, or one the policy refuses: a setting is wrong.
            throw new FormatException(e.Message, e);
        }
        catch (Exception e) when (e is Signing.Keyless.FulcioException or Signing.Keyless.IdentityTokenException)
        {
            Log.KeylessNotReady(logger, e.Message);
            return;
        }

        if (signer.Identity != expected)
        {
            throw new FormatException($"the identity token is for {signer.Identity}, but --identity and --issuer say {expected}");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Host.KeylessNotReady, Level = LogLevel.Warning, Message = "no Fulcio certificate yet ({Reason}); first sightings answer 503 until one is issued")]
        public static partial void KeylessNotReady(ILogger logger, string reason);

        [LoggerMessage(EventId = EventIds.Host.Started, Level = LogLevel.Information,
            Message = "tlogistry listening on port {Port} of {Listen}; data in {DataDir}; recording sightings as {Identity} in the {Log} log, stored in {Store} ({Reindexed} entries re-indexed from the log)")]
        public static partial void Started(ILogger logger, int port, string listen, string dataDir, string identity, string log, string store, int reindexed);

        [LoggerMessage(EventId = EventIds.Host.Opened, Level = LogLevel.Information,
            Message = "tlogistry opened data in {DataDir}; sightings recorded as {Identity} in the {Log} log, stored in {Store}; not serving")]
        public static partial void Opened(ILogger logger, string dataDir, string identity, string log, string store);

        [LoggerMessage(EventId = EventIds.Host.SharedStoreLocalLog, Level = LogLevel.Warning,
            Message = "the store is shared (postgres) but the log is embedded in this data directory: replicas must share one log (tlogistry log serve, Rekor) and one signing identity, or each refuses the others' pins (503)")]
        public static partial void SharedStoreLocalLog(ILogger logger);

        [LoggerMessage(EventId = EventIds.Host.ServingTls, Level = LogLevel.Information, Message = "serving HTTPS (HTTP/2 and HTTP/1.1) on port {Port} with {Certificate}")]
        public static partial void ServingTls(ILogger logger, int port, string certificate);

        [LoggerMessage(EventId = EventIds.Host.CertificateNotValidNow, Level = LogLevel.Warning, Message = "the TLS certificate is not valid now ({Certificate}); clients will refuse it")]
        public static partial void CertificateNotValidNow(ILogger logger, string certificate);

        [LoggerMessage(EventId = EventIds.Host.TagPolicy, Level = LogLevel.Information, Message = "tag policy for {Scope}")]
        public static partial void TagPolicy(ILogger logger, string scope);

        [LoggerMessage(EventId = EventIds.Host.IntentsResumed, Level = LogLevel.Warning, Message = "{Count} first sightings left between the log and the store were sent again from their stored intents")]
        public static partial void IntentsResumed(ILogger logger, int count);

        [LoggerMessage(EventId = EventIds.Host.UpstreamMapped, Level = LogLevel.Information, Message = "upstream {Host} -> {Url}")]
        public static partial void UpstreamMapped(ILogger logger, string host, string url);
    }
}
