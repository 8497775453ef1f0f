using System.CommandLine;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Tlogistry.Serving;

namespace Tlogistry.Host;

/// <summary>
/// The command line. Flags become configuration overrides, so every flag is also a
/// configuration key (appsettings.json, <c>Tlogistry__X</c> environment variables).
/// Unrecognised <c>--Section:Key=value</c> arguments go to ASP.NET Core configuration.
/// </summary>
internal static class Cli
{
    /// <summary>
    /// Runs a service until it stops: a failure a person can act on (bad settings, a damaged
    /// data directory) prints one line and exits 1; a cancelled run exits 0.
    /// </summary>
    private static async Task<int> RunServiceAsync(Func<Task<int>> run, CancellationToken ct)
    {
        try
        {
            return await run();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception e) when (IsReported(e))
        {
            await Console.Error.WriteLineAsync("tlogistry: " + e.Message);
            return 1;
        }
    }

    private static bool IsReported(Exception e) =>
        e is FormatException or InvalidDataException or InvalidOperationException or IOException
            or UnauthorizedAccessException or System.Data.Common.DbException or Transparency.Sigstore.LogVerificationException;

    /// <summary><c>tlogistry log serve</c>: the embedded log alone, over the Rekor and tiles APIs.</summary>
    private static Command LogCommand()
    {
        var port = new Option<int?>("--port") { Description = "TCP port to listen on (also PORT; default 8080)." };
        var listen = ListenOption();
        var dataDir = new Option<string>("--data-dir") { Description = "Directory for the log, its key and its entry sidecar.", Required = true };
        var publicUrl = new Option<string?>("--public-url") { Description = "URL clients reach this log at, written into trusted_root.json (default http://127.0.0.1:PORT)." };
        var writerKey = new Option<string[]>("--writer-key") { Description = "PEM public key (or certificate) whose entries are appended; repeatable. Default: none, an open log that appends any valid entry.", Arity = ArgumentArity.ZeroOrMore };
        var logFormat = new Option<string?>("--log-format") { Description = "Console log format: text (default, one line per message) or json (one JSON object per line)." };
        var metricsPort = MetricsPortOption();
        var serve = new Command("serve", "Serve a file-backed log over the Rekor v2 write API, the C2SP tiles read API and a Rekor v1 subset.") { port, listen, dataDir, publicUrl, writerKey, logFormat, metricsPort };
        serve.SetAction((parse, ct) => RunServiceAsync(
            async () =>
            {
                var resolved = new TlogistryOptions { Port = parse.GetValue(port) }.ResolvePort(Environment.GetEnvironmentVariable("PORT"));
                var url = parse.GetValue(publicUrl);
                if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")))
                {
                    await Console.Error.WriteLineAsync($"tlogistry: --public-url must be an absolute http(s) URL, got \"{url}\"");
                    return 2;
                }

                var writers = LogServer.WriterPolicy.FromPemFiles(parse.GetValue(writerKey) ?? []);
                var settings = new LogServer.LogServerSettings(parse.GetValue(dataDir)!, resolved, url, ListenAddress.Parse(parse.GetValue(listen)), writers, parse.GetValue(logFormat), parse.GetValue(metricsPort) ?? 0);
                await using var app = await LogServer.LogServerApp.StartAsync(settings, ct);
                await app.WaitForShutdownAsync(ct);
                return 0;
            },
            ct));

        return new Command("log", "Run the embedded transparency log as a service.") { serve };
    }

    private static Option<int?> MetricsPortOption() =>
        new("--metrics-port") { Description = "Serve /metrics only on this second TCP port (plain HTTP, same interface), not on the main one (default: on the main port)." };

    private static Option<string?> ListenOption() =>
        new("--listen") { Description = "Interface to listen on: * (every interface, the default), localhost, or an IP address such as 127.0.0.1 or ::1." };

    public static RootCommand Create()
    {
        var port = new Option<int?>("--port") { Description = "TCP port to listen on (also PORT; default 8080)." };
        var listen = ListenOption();
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory for keys, the index and the embedded log (default $XDG_DATA_HOME/tlogistry or ~/.local/share/tlogistry)." };
        var upstream = new Option<string[]>("--upstream")
        {
            Description = "HOST=URL: send requests for registry HOST to base URL URL (http allowed), e.g. docker.io=http://127.0.0.1:5000. Repeatable.",
            Arity = ArgumentArity.ZeroOrMore,
        };

        var allow = new Option<string[]>("--allow-registry")
        {
            Description = "Only proxy registries matching this pattern (e.g. docker.io, *.gcr.io). Repeatable. An exact host may also be private.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var deny = new Option<string[]>("--deny-registry") { Description = "Never proxy registries matching this pattern. Repeatable.", Arity = ArgumentArity.ZeroOrMore };
        var onUnavailable = new Option<string?>("--on-log-unavailable") { Description = "fail (default): 503 when the log or index is unavailable; serve: serve unverified with Tlog-Unverified: true." };
        var log = new Option<string?>("--log") { Description = "Where sightings are logged: embedded (default), rekor-v1=URL (e.g. https://rekor.sigstore.dev) or rekor-v2=URL." };
        var trustedRoot = new Option<string?>("--trusted-root") { Description = "Sigstore trusted_root.json with the log keys to trust (default: the public-good root built in)." };
        var store = new Option<string?>("--store") { Description = "Where sightings are stored: sqlite (default: index.db in the data directory) or postgres=CONNECTION STRING (Npgsql, e.g. postgres=Host=db;Database=tlogistry;Username=tlogistry; shared by replicas)." };

        var signer = new Option<string?>("--signer") { Description = "How sightings are signed: key (default: signing-key.pem in the data directory) or fulcio=URL (keyless, e.g. https://fulcio.sigstore.dev)." };
        var tokenSource = new Option<string?>("--token-source") { Description = "Keyless: the OIDC token: gcp, file=PATH (e.g. a Kubernetes projected token), github-actions or env=NAME." };
        var identity = new Option<string?>("--identity") { Description = "Keyless: the certificate identity (SAN e-mail or URI) whose sightings count." };
        var issuer = new Option<string?>("--issuer") { Description = "Keyless: the OIDC issuer the certificate must name." };
        var tokenAudience = new Option<string?>("--token-audience") { Description = "Keyless: the aud an identity token must name before it is sent to Fulcio (default sigstore)." };
        var unsafeNoSct = new Option<bool>("--unsafe-no-sct") { Description = "Keyless: trust Fulcio certificates without a verified SCT from a trusted CT log (default: an SCT is required, as Fulcio's specification says)." };
        var trustedKey = new Option<string[]>("--trusted-key") { Description = "Key mode: a PEM public key whose sightings also count (an earlier key after a rotation). Repeatable.", Arity = ArgumentArity.ZeroOrMore };

        var legacyLog = new Option<string?>("--legacy-log") { Description = "The log ID (hex) whose unsigned Go tlogistry (intoto 0.0.1) entries count, for tags already stored or imported; needs --legacy-key. Default: none count." };
        var legacyKey = new Option<string?>("--legacy-key") { Description = "The PEM public key those legacy entries must name; needs --legacy-log." };
        var logFormat = new Option<string?>("--log-format") { Description = "Console log format: text (default, one line per message) or json (one JSON object per line)." };
        var otlpEndpoint = new Option<string?>("--otlp-endpoint") { Description = "OTLP/HTTP base URL to export traces to, e.g. http://collector:4318 (also OTEL_EXPORTER_OTLP_ENDPOINT; default: no traces)." };
        var mutableTag = new Option<string[]>("--mutable-tag")
        {
            Description = "A .NET regular expression matched against the tag alone (e.g. ^latest$): matching tags are served as upstream has them now, never pinned or logged. Repeatable.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var onMismatch = new Option<string?>("--on-mismatch") { Description = "fail (default): a tag whose upstream digest differs from its pin answers 409 DENIED; serve-pinned: serve the pinned manifest with Tlog-Mismatch." };
        var registryPolicy = new Option<string[]>("--policy")
        {
            Description = "REGISTRY:mutable-tag=REGEX or REGISTRY:on-mismatch=fail|serve-pinned: a registry's own setting, replacing the global one of that kind. Repeatable.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate (then its chain) to serve HTTPS with, HTTP/2 and HTTP/1.1, on the same port; needs --tls-key." };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert." };
        var proxyUrl = new Option<string?>("--public-url") { Description = "The URL clients reach this proxy at, e.g. https://registry.example.com, for the commands the history page shows (default: a PROXY_URL placeholder; the request's Host is never used)." };
        var firstPerMinute = new Option<string?>("--first-sightings-per-minute") { Description = "New log entries (first sightings of a tag) each client address may cause per minute; 0 turns the limit off (default 60)." };
        var firstBurst = new Option<string?>("--first-sighting-burst") { Description = "First sightings a client address may make at once before the per-minute rate applies (default 60)." };
        var metricsPort = MetricsPortOption();
        var logPublicUrl = new Option<string?>("--log-public-url") { Description = "The URL the trusted root names the --log at, when the proxy writes to it at another (e.g. an in-cluster address); the log's key is what is checked." };
        var recordUpstream = new Option<string?>("--record-upstream") { Description = "What each sighting records as its upstream: canonical (default: the registry's public API URL, e.g. https://registry-1.docker.io/v2/...) or mapped (the --upstream address it was fetched from; refused with a log on a public host)." };

        var serve = new Command("serve", "Run the registry front on the embedded defaults.")
        {
            port, listen, dataDir, upstream, allow, deny, onUnavailable, log, trustedRoot, store, signer, tokenSource, identity, issuer, trustedKey, legacyLog, legacyKey, logFormat, otlpEndpoint,
            mutableTag, onMismatch, registryPolicy, tlsCert, tlsKey, proxyUrl, firstPerMinute, firstBurst, tokenAudience, unsafeNoSct, metricsPort, logPublicUrl, recordUpstream,
        };
        serve.TreatUnmatchedTokensAsErrors = false;
        serve.SetAction(async (parse, ct) =>
        {
            var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            if (parse.GetValue(port) is int p)
            {
                overrides[$"{TlogistryOptions.Section}:Port"] = p.ToString(CultureInfo.InvariantCulture);
            }

            if (parse.GetValue(listen) is { Length: > 0 } l)
            {
                overrides[$"{TlogistryOptions.Section}:Listen"] = l;
            }

            if (parse.GetValue(dataDir) is { Length: > 0 } d)
            {
                overrides[$"{TlogistryOptions.Section}:DataDir"] = d;
            }

            AddList(overrides, $"{TlogistryOptions.Section}:Upstreams", parse.GetValue(upstream));
            AddList(overrides, $"{TlogistryOptions.Section}:Upstream:AllowRegistries", parse.GetValue(allow));
            AddList(overrides, $"{TlogistryOptions.Section}:Upstream:DenyRegistries", parse.GetValue(deny));
            if (parse.GetValue(onUnavailable) is { Length: > 0 } policy)
            {
                overrides[$"{TlogistryOptions.Section}:OnLogUnavailable"] = policy;
            }

            AddLogChoice(overrides, parse.GetValue(log), parse.GetValue(trustedRoot));
            AddStore(overrides, parse.GetValue(store));
            AddSigner(overrides, parse.GetValue(signer), parse.GetValue(tokenSource), parse.GetValue(identity), parse.GetValue(issuer), parse.GetValue(trustedKey));
            AddLegacy(overrides, parse.GetValue(legacyLog), parse.GetValue(legacyKey));
            AddList(overrides, $"{TlogistryOptions.Section}:MutableTags", parse.GetValue(mutableTag));
            AddList(overrides, $"{TlogistryOptions.Section}:Policies", parse.GetValue(registryPolicy));
            foreach (var (key, value) in new[]
            {
                ("LogFormat", parse.GetValue(logFormat)), ("OtlpEndpoint", parse.GetValue(otlpEndpoint)),
                ("OnMismatch", parse.GetValue(onMismatch)), ("TlsCert", parse.GetValue(tlsCert)), ("TlsKey", parse.GetValue(tlsKey)),
                ("PublicUrl", parse.GetValue(proxyUrl)), ("FirstSightingsPerMinute", parse.GetValue(firstPerMinute)), ("FirstSightingBurst", parse.GetValue(firstBurst)),
                ("TokenAudience", parse.GetValue(tokenAudience)), ("UnsafeNoSct", parse.GetValue(unsafeNoSct) ? "true" : null),
                ("MetricsPort", parse.GetValue(metricsPort)?.ToString(CultureInfo.InvariantCulture)), ("LogPublicUrl", parse.GetValue(logPublicUrl)), ("RecordUpstream", parse.GetValue(recordUpstream)),
            })
            {
                if (value is { Length: > 0 })
                {
                    overrides[$"{TlogistryOptions.Section}:{key}"] = value;
                }
            }

            // Only --Section:Key=value reaches configuration; anything else is a mistyped flag.
            var unknown = parse.UnmatchedTokens.FirstOrDefault(t => !t.StartsWith("--", StringComparison.Ordinal) || !t.Contains(':', StringComparison.Ordinal));
            if (unknown is not null)
            {
                await Console.Error.WriteLineAsync($"tlogistry: unknown argument \"{unknown}\"; see tlogistry serve --help");
                return 2;
            }

            return await RunServiceAsync(
                async () =>
                {
                    await using var app = await TlogistryApp.BuildAsync(overrides, [.. parse.UnmatchedTokens], ct);
                    await app.StartAsync(ct);
                    await app.WaitForShutdownAsync(ct);
                    return 0;
                },
                ct);
        });

        var from = new Option<string?>("--from") { Description = "Import a bundle export (a file, or a URL such as http://proxy/tlog/bundles) instead of reading the log; required for Rekor v2." };
        var rebuild = new Command("rebuild", "Rebuild the sighting store from the log (embedded, Rekor v1) or from a bundle export (any log); every entry is verified.") { dataDir, log, trustedRoot, store, from, signer, tokenSource, identity, issuer, trustedKey, legacyLog, legacyKey };
        rebuild.SetAction(async (parse, ct) =>
        {
            var overrides = DataOverrides(parse);
            AddLegacy(overrides, parse.GetValue(legacyLog), parse.GetValue(legacyKey));
            try
            {
                return await IndexRebuild.RunAsync(overrides, parse.GetValue(from), Console.Error, ct);
            }
            catch (Exception e) when (IsReported(e) || e is HttpRequestException or NotSupportedException)
            {
                await Console.Error.WriteLineAsync("tlogistry: " + e.Message);
                return 1;
            }
        });

        // The data a store command opens: the directory, the log, the store and whose sightings count.
        Dictionary<string, string?> DataOverrides(ParseResult parse)
        {
            var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            if (parse.GetValue(dataDir) is { Length: > 0 } d)
            {
                overrides[$"{TlogistryOptions.Section}:DataDir"] = d;
            }

            AddLogChoice(overrides, parse.GetValue(log), parse.GetValue(trustedRoot));
            AddStore(overrides, parse.GetValue(store));
            AddSigner(overrides, parse.GetValue(signer), parse.GetValue(tokenSource), parse.GetValue(identity), parse.GetValue(issuer), parse.GetValue(trustedKey));
            return overrides;
        }

        static void AddLogChoice(Dictionary<string, string?> overrides, string? log, string? trustedRoot)
        {
            if (log is { Length: > 0 })
            {
                overrides[$"{TlogistryOptions.Section}:Log"] = log;
            }

            if (trustedRoot is { Length: > 0 })
            {
                overrides[$"{TlogistryOptions.Section}:TrustedRoot"] = trustedRoot;
            }
        }

        static void AddStore(Dictionary<string, string?> overrides, string? store)
        {
            if (store is { Length: > 0 })
            {
                overrides[$"{TlogistryOptions.Section}:Store"] = store;
            }
        }

        static void AddLegacy(Dictionary<string, string?> overrides, string? legacyLog, string? legacyKey)
        {
            if (legacyLog is { Length: > 0 })
            {
                overrides[$"{TlogistryOptions.Section}:LegacyLog"] = legacyLog;
            }

            if (legacyKey is { Length: > 0 })
            {
                overrides[$"{TlogistryOptions.Section}:LegacyKey"] = legacyKey;
            }
        }

        static void AddSigner(Dictionary<string, string?> overrides, string? signer, string? tokenSource, string? identity, string? issuer, string[]? trustedKeys)
        {
            foreach (var (key, value) in new[] { ("Signer", signer), ("TokenSource", tokenSource), ("Identity", identity), ("Issuer", issuer) })
            {
                if (value is { Length: > 0 })
                {
                    overrides[$"{TlogistryOptions.Section}:{key}"] = value;
                }
            }

            AddList(overrides, $"{TlogistryOptions.Section}:TrustedKeys", trustedKeys);
        }

        static void AddList(Dictionary<string, string?> overrides, string key, string[]? values)
        {
            for (var i = 0; i < (values?.Length ?? 0); i++)
            {
                overrides[$"{key}:{i}"] = values![i];
            }
        }

        var understood = new Option<bool>("--i-understand") { Description = "Forget the sightings listed and accept the log as it is now; without it nothing changes." };
        var acceptLog = new Command("accept-log", "Accept a log that no longer extends the checkpoint the store remembers (deleted, or restored from an older copy): lists what will be forgotten.") { dataDir, log, trustedRoot, store, signer, tokenSource, identity, issuer, trustedKey, understood };
        acceptLog.SetAction(async (parse, ct) =>
        {
            var overrides = DataOverrides(parse);
            try
            {
                return await AcceptLog.RunAsync(overrides, parse.GetValue(understood), Console.Error, ct);
            }
            catch (Exception e) when (IsReported(e) || e is HttpRequestException or Transparency.LogUnavailableException)
            {
                await Console.Error.WriteLineAsync("tlogistry: " + e.Message);
                return 1;
            }
        });

        var index = new Command("index", "Maintain the sighting store.") { rebuild, acceptLog };
        var root = new RootCommand("tlogistry: a read-only registry front whose tags are transparently immutable.") { serve, index, LogCommand() };
        foreach (var command in ClientCommands.Create())
        {
            root.Subcommands.Add(command);
        }

        return root;
    }
}
