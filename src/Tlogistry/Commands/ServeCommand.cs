using System.CommandLine;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Tlogistry.Host;

namespace Tlogistry.Commands;

/// <summary>
/// <c>tlogistry serve</c>: the registry front. Every flag becomes a configuration override
/// (<see cref="SettingOverrides"/>); unrecognised <c>--Section:Key=value</c> arguments go to
/// ASP.NET Core configuration, and anything else is refused as a mistyped flag.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var port = ServiceOptions.Port();
        var listen = ServiceOptions.Listen();
        var data = new StoreOptions();
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
        var tokenAudience = new Option<string?>("--token-audience") { Description = "Keyless: the aud an identity token must name before it is sent to Fulcio (default sigstore)." };
        var unsafeNoSct = new Option<bool>("--unsafe-no-sct") { Description = "Keyless: trust Fulcio certificates without a verified SCT from a trusted CT log (default: an SCT is required, as Fulcio's specification says)." };
        var logFormat = ServiceOptions.LogFormat();
        var otlpEndpoint = new Option<string?>("--otlp-endpoint") { Description = "OTLP/HTTP base URL to export traces to, e.g. http://collector:4318 (also OTEL_EXPORTER_OTLP_ENDPOINT; default: no traces)." };
        var timestampAuthority = new Option<string[]>("--timestamp-authority") { Description = "An RFC 3161 timestamp authority (Sigstore TSA API, e.g. https://timestamp.sigstore.dev/api/v1/timestamp) that dates every new signature; the trusted root must name it. Needed for keyless on rekor-v2. Repeatable.", Arity = ArgumentArity.ZeroOrMore };
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
        var onUpstreamError = new Option<string?>("--on-upstream-error") { Description = "serve-pinned (default): when upstream fails to answer (5xx, 429, timeout, refused connection), a pinned tag is served from its held manifest with Tlog-Stale: true; fail: the upstream error." };
        var revalidateAfter = new Option<string?>("--revalidate-after") { Description = "How long a pinned tag confirmed upstream is served from its held manifest without asking upstream again, e.g. 30s, 5m, 1h (default 0: ask every time)." };
        var heldManifestBytes = new Option<long?>("--held-manifest-bytes") { Description = "Bytes of pinned manifests held in the store for --revalidate-after and --on-upstream-error (default 268435456, 256 MiB); a manifest past the bound is not held; 0 holds none." };
        var movesMaxRows = new Option<int?>("--moves-max-rows") { Description = "Rows the record of moved tags (/tlog/moves) keeps in the store (default 100000); past it, the rows last seen longest ago are dropped." };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate (then its chain) to serve HTTPS with, HTTP/2 and HTTP/1.1, on the same port; needs --tls-key." };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert." };
        var proxyUrl = new Option<string?>("--public-url") { Description = "The URL clients reach this proxy at, e.g. https://registry.example.com, for the commands the history page shows (default: a PROXY_URL placeholder; the request's Host is never used)." };
        var firstPerMinute = new Option<string?>("--first-sightings-per-minute") { Description = "New log entries (first sightings of a tag) each client address may cause per minute; 0 turns the limit off (default 60)." };
        var firstBurst = new Option<string?>("--first-sighting-burst") { Description = "First sightings a client address may make at once before the per-minute rate applies (default 60)." };
        var metricsPort = ServiceOptions.MetricsPort();
        var logPublicUrl = new Option<string?>("--log-public-url") { Description = "The URL the trusted root names the --log at, when the proxy writes to it at another (e.g. an in-cluster address); the log's key is what is checked." };
        var notify = new Option<string[]>("--notify")
        {
            Description = "URL: POST a CloudEvents JSON event there for each tag move, the first time any replica sees it (retried with backoff, bounded). Repeatable.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var recordUpstream = new Option<string?>("--record-upstream") { Description = "What each sighting records as its upstream: canonical (default: the registry's public API URL, e.g. https://registry-1.docker.io/v2/...) or mapped (the --upstream address it was fetched from; refused with a log on a public host)." };

        var serve = new Command("serve", "Run the registry front on the embedded defaults.")
        {
            port, listen, data.DataDir, upstream, allow, deny, onUnavailable, data.Log, data.TrustedRoot, data.Store, data.Signer, data.TokenSource, data.Identity, data.Issuer, data.TrustedKey, timestampAuthority,
            data.LegacyLog, data.LegacyKey, logFormat, otlpEndpoint, mutableTag, onMismatch, registryPolicy, tlsCert, tlsKey, proxyUrl, firstPerMinute, firstBurst, tokenAudience, unsafeNoSct,
            metricsPort, logPublicUrl, recordUpstream, onUpstreamError, revalidateAfter, heldManifestBytes, movesMaxRows, notify,
        };
        serve.TreatUnmatchedTokensAsErrors = false;
        serve.SetAction(async (parse, ct) =>
        {
            var overrides = new SettingOverrides();
            overrides.Set("Port", parse.GetValue(port)?.ToString(CultureInfo.InvariantCulture));
            overrides.Set("Listen", parse.GetValue(listen));
            data.Write(overrides, parse);
            data.WriteLegacy(overrides, parse);
            overrides.SetList("Upstreams", parse.GetValue(upstream));
            overrides.SetList("Upstream:AllowRegistries", parse.GetValue(allow));
            overrides.SetList("Upstream:DenyRegistries", parse.GetValue(deny));
            overrides.Set("OnLogUnavailable", parse.GetValue(onUnavailable));
            overrides.SetList("MutableTags", parse.GetValue(mutableTag));
            overrides.SetList("TimestampAuthorities", parse.GetValue(timestampAuthority));
            overrides.SetList("Policies", parse.GetValue(registryPolicy));
            overrides.SetList("Notify", parse.GetValue(notify));
            overrides.Set("LogFormat", parse.GetValue(logFormat));
            overrides.Set("OtlpEndpoint", parse.GetValue(otlpEndpoint));
            overrides.Set("OnMismatch", parse.GetValue(onMismatch));
            overrides.Set("TlsCert", parse.GetValue(tlsCert));
            overrides.Set("TlsKey", parse.GetValue(tlsKey));
            overrides.Set("PublicUrl", parse.GetValue(proxyUrl));
            overrides.Set("FirstSightingsPerMinute", parse.GetValue(firstPerMinute));
            overrides.Set("FirstSightingBurst", parse.GetValue(firstBurst));
            overrides.Set("TokenAudience", parse.GetValue(tokenAudience));
            overrides.Set("UnsafeNoSct", parse.GetValue(unsafeNoSct) ? "true" : null);
            overrides.Set("MetricsPort", parse.GetValue(metricsPort)?.ToString(CultureInfo.InvariantCulture));
            overrides.Set("LogPublicUrl", parse.GetValue(logPublicUrl));
            overrides.Set("RecordUpstream", parse.GetValue(recordUpstream));
            overrides.Set("OnUpstreamError", parse.GetValue(onUpstreamError));
            overrides.Set("RevalidateAfter", parse.GetValue(revalidateAfter));
            overrides.Set("HeldManifestBytes", parse.GetValue(heldManifestBytes)?.ToString(CultureInfo.InvariantCulture));
            overrides.Set("MovesMaxRows", parse.GetValue(movesMaxRows)?.ToString(CultureInfo.InvariantCulture));

            // Only --Section:Key=value reaches configuration; anything else is a mistyped flag.
            var unknown = parse.UnmatchedTokens.FirstOrDefault(t => !t.StartsWith("--", StringComparison.Ordinal) || !t.Contains(':', StringComparison.Ordinal));
            if (unknown is not null)
            {
                await Console.Error.WriteLineAsync($"tlogistry: unknown argument \"{unknown}\"; see tlogistry serve --help");
                return 2;
            }

            return await Failures.RunServiceAsync(
                async () =>
                {
                    await using var app = await TlogistryApp.BuildAsync(overrides.Values, [.. parse.UnmatchedTokens], ct);
                    await app.StartAsync(ct);
                    await app.WaitForShutdownAsync(ct);
                    return 0;
                },
                ct);
        });
        return serve;
    }
}
