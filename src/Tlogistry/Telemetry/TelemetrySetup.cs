using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Tlogistry.Telemetry;

/// <summary>
/// Registers the service's telemetry: its own meter, ASP.NET Core and runtime metrics for a
/// Prometheus scrape at <c>/metrics</c>, and, only when an OTLP endpoint is
/// configured, traces exported over OTLP/HTTP with protobuf. Without an endpoint no tracer
/// exists, so no span is ever started.
/// </summary>
internal static class TelemetrySetup
{
    public const string ServiceName = "tlogistry";

    /// <summary>The standard variable naming an OTLP base URL, honoured when no flag or key sets one.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static void Add(IServiceCollection services, Uri? otlpEndpoint)
    {
        services.AddSingleton(sp => new TlogistryMetrics(sp.GetRequiredService<IMeterFactory>().Create(TlogistryMetrics.MeterName)));
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName, serviceVersion: typeof(TelemetrySetup).Assembly.GetName().Version?.ToString()))
            .WithMetrics(metrics => metrics
                .AddMeter(TlogistryMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddMeter("System.Runtime")

                // No HttpClient or DNS metrics: they are labelled by host, and a client picks the
                // upstream host, so each made-up registry name would add series without bound.
                // Upstream latency is tlogistry_upstream_duration_seconds, labelled by operation.
                .AddPrometheusExporter(o =>
                {
                    // Every scrape sees counts as they are: a cached answer could hide the last requests.
                    o.ScrapeResponseCacheDurationMilliseconds = 0;
                }));

        if (otlpEndpoint is not null)
        {
            // W3C trace context only, and left to the runtime: that way each HttpClient handler's
            // propagator decides what a request carries, and the upstream registry client sends none.
            Sdk.SetDefaultTextMapPropagator(new TraceContextPropagator());
            telemetry.WithTracing(tracing => tracing
                .AddSource(TlogistryTracing.SourceName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddOtlpExporter(o =>
                {
                    // Set in code, the endpoint is taken as it is: the signal's path is ours to add.
                    o.Endpoint = new Uri(otlpEndpoint, "v1/traces");
                    o.Protocol = OtlpExportProtocol.HttpProtobuf;
                }));
        }
    }

    /// <summary>
    /// Starts listening now rather than when the host starts, so that what happens before
    /// (the start-up reconcile reading the log) is measured and traced too.
    /// </summary>
    public static void Start(IServiceProvider services)
    {
        services.GetService<MeterProvider>();
        services.GetService<TracerProvider>();
    }

    /// <summary>
    /// Serves <c>/metrics</c>: on the main port when <paramref name="metricsPort"/> is 0, else only
    /// on connections to that port (judged by the socket, not the Host header), which then serves
    /// nothing else, so a network policy can keep scrapes and clients apart.
    /// </summary>
    public static void Map(WebApplication app, int metricsPort = 0)
    {
        if (metricsPort == 0)
        {
            app.MapPrometheusScrapingEndpoint();
            return;
        }

        app.UseWhen(c => c.Connection.LocalPort == metricsPort, branch =>
        {
            branch.UseOpenTelemetryPrometheusScrapingEndpoint(c => c.Request.Path == "/metrics");
            branch.Run(c =>
            {
                c.Response.StatusCode = Microsoft.AspNetCore.Http.StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        });
    }

    /// <summary>Checks a <c>--metrics-port</c> value: 0 (none) or a TCP port other than the main one.</summary>
    public static int MetricsPort(int? configured, int mainPort)
    {
        var port = configured ?? 0;
        return port is < 0 or > 65535 || (port != 0 && port == mainPort)
            ? throw new FormatException($"--metrics-port must be 0 (metrics on the main port) or a TCP port other than {mainPort}, got {port}")
            : port;
    }

    /// <summary>
    /// The OTLP base URL (as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> means it: <c>/v1/traces</c> is
    /// added): the flag or key when set, else the environment variable, else none.
    /// </summary>
    public static Uri? OtlpEndpoint(string? configured, string? environment)
    {
        var (value, source) = !string.IsNullOrWhiteSpace(configured) ? (configured.Trim(), "--otlp-endpoint")
            : !string.IsNullOrWhiteSpace(environment) ? (environment.Trim(), OtlpEndpointVariable)
            : (null, null);
        if (value is null)
        {
            return null;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Query.Length > 0)
        {
            throw new FormatException($"{source} must be an http(s) base URL such as http://collector:4318, got \"{value}\"");
        }

        // A trailing slash makes the base a directory, so v1/traces is added below its path.
        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }
}
