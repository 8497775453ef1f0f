using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tlogistry.Http;
using Tlogistry.Telemetry;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Rekor;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Host;

/// <summary>
/// Registers the chosen transparency log and the trusted root it is verified against. The embedded log in the data directory is always trusted when present,
/// so pins it recorded stay valid after a switch to Rekor.
/// </summary>
internal static class LogSetup
{
    public static void Add(IServiceCollection services, LogChoice choice, string? trustedRootPath, JsonHttpOptions rekor, string dataDir)
    {
        var logDir = Path.Combine(dataDir, "log");
        var root = LoadTrustedRoot(trustedRootPath);
        var hasEmbedded = choice.Kind == LogKind.Embedded || File.Exists(Path.Combine(logDir, "log-key"));
        if (hasEmbedded)
        {
            // Searched by subject only when it is the log sightings go to: a log kept for its old
            // pins is never appended to, and its pins are all in the store already.
            Func<byte[], EnvelopeRecords, byte[]?>? subjects = choice.Kind == LogKind.Embedded ? EmbeddedEntry.Subject : null;
            services.AddSingleton(sp => EmbeddedLog.Open(logDir, sp.GetRequiredService<ILogger<EmbeddedLog>>(), subjects));
        }

        services.AddSingleton(sp => hasEmbedded ? root.WithLogs([sp.GetRequiredService<EmbeddedLog>().Trusted]) : root);

        if (choice.Kind == LogKind.Embedded)
        {
            services.AddSingleton<ITransparencyLog>(sp => Measured(sp, new EmbeddedSightingLog(sp.GetRequiredService<EmbeddedLog>(), sp.GetRequiredService<TimeProvider>())));
            services.AddSingleton<ICheckpointSource>(sp => new EmbeddedCheckpoints(sp.GetRequiredService<EmbeddedLog>()));
            AddHistory(services, sp => sp.GetRequiredService<EmbeddedLog>().Trusted);
            return;
        }

        var url = choice.Url!;
        var logId = choice.FindLogId(root);
        services.AddSingleton<ICheckpointSource>(sp =>
        {
            // The log is named by the operator, so it is not subject to the upstream SSRF guard.
            var http = Http.JsonHttp.CreateClient();
            return choice.Kind == LogKind.RekorV1
                ? new RekorV1Log(url, logId, http, rekor, sp.GetRequiredService<ILogger<RekorV1Log>>())
                : new RekorV2Log(url, logId, http, rekor, sp.GetRequiredService<ILogger<RekorV2Log>>());
        });
        services.AddSingleton<ITransparencyLog>(sp => Measured(sp, (ITransparencyLog)sp.GetRequiredService<ICheckpointSource>()));
        AddHistory(services, _ => root.FindLog(logId)!);
    }

    /// <summary>The memory of the log's checkpoints, kept in the store (registered after this).</summary>
    private static void AddHistory(IServiceCollection services, Func<IServiceProvider, TrustedLog> trusted) =>
        services.AddSingleton(sp => new Ledger.LogHistory(
            sp.GetRequiredService<Store.ISightingIndex>(),
            sp.GetRequiredService<ICheckpointSource>(),
            trusted(sp),
            sp.GetRequiredService<ILogger<Ledger.LogHistory>>()));

    /// <summary>Every log is timed and traced through one wrapper.</summary>
    private static MeasuredLog Measured(IServiceProvider sp, ITransparencyLog log) => new(log, sp.GetRequiredService<TlogistryMetrics>());


    private static TrustedRoot LoadTrustedRoot(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return TrustedRoot.PublicGood;
        }

        try
        {
            return TrustedRoot.Parse(File.ReadAllBytes(path));
        }
        catch (FormatException e)
        {
            throw new FormatException($"trusted root {path}: {e.Message}", e);
        }
    }
}
