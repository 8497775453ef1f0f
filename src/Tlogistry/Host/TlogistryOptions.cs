namespace Tlogistry.Host;

/// <summary>Service settings, bound from configuration section <c>Tlogistry</c>.</summary>
internal sealed class TlogistryOptions
{
    public const string Section = "Tlogistry";

    /// <summary>TCP port to listen on. <c>PORT</c> in the environment is honoured when this is unset.</summary>
    public int? Port { get; set; }

    /// <summary>The interface to listen on: <c>*</c> (every interface, the default), <c>localhost</c>, or an IP address.</summary>
    public string? Listen { get; set; }

    /// <summary>Where keys, the index and the embedded log live.</summary>
    public string? DataDir { get; set; }

    /// <summary><c>HOST=URL</c> upstream overrides, as given to <c>--upstream</c>.</summary>
    public List<string> Upstreams { get; init; } = [];

    /// <summary>What tag requests do when the log or index is unavailable: <c>fail</c> (503) or <c>serve</c> (unverified).</summary>
    public string OnLogUnavailable { get; set; } = "fail";

    /// <summary>Which transparency log records sightings: <c>embedded</c>, <c>rekor-v1=URL</c> or <c>rekor-v2=URL</c>.</summary>
    public string Log { get; set; } = "embedded";

    /// <summary>
    /// The URL the trusted root names the log at, when the proxy writes to it at another (an
    /// in-cluster address behind a public read-only one); unset: the trusted root names <see cref="Log"/>'s URL.
    /// </summary>
    public string? LogPublicUrl { get; set; }

    /// <summary>What each sighting records as its upstream: <c>canonical</c> (the registry's public API URL, the default) or <c>mapped</c> (the address it was fetched from).</summary>
    public string RecordUpstream { get; set; } = "canonical";

    /// <summary>A second port serving only <c>/metrics</c> (then not served on the main port); 0: <c>/metrics</c> on the main port.</summary>
    public int MetricsPort { get; set; }

    /// <summary>Where sightings are stored: <c>sqlite</c> (index.db in the data directory) or <c>postgres=CONNECTION STRING</c> (shared by replicas).</summary>
    public string Store { get; set; } = "sqlite";

    /// <summary>Longest wait for a tag's first-sighting lock that another replica holds (shared store only); then 503.</summary>
    public TimeSpan StoreLockTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A Sigstore trusted_root.json naming the logs (and keys) to trust; the public-good root when unset.</summary>
    public string? TrustedRoot { get; set; }

    /// <summary>How sightings are signed: <c>key</c> (a key file in the data directory) or <c>fulcio=URL</c> (keyless).</summary>
    public string Signer { get; set; } = "key";

    /// <summary>Keyless: where the OIDC identity token comes from: <c>gcp</c>, <c>file=PATH</c>, <c>github-actions</c> or <c>env=NAME</c>.</summary>
    public string? TokenSource { get; set; }

    /// <summary>Keyless: the certificate identity (SAN e-mail or URI) whose sightings count.</summary>
    public string? Identity { get; set; }

    /// <summary>Keyless: the OIDC issuer the certificate must name.</summary>
    public string? Issuer { get; set; }

    /// <summary>Keyless: the <c>aud</c> an identity token must name before it is sent to Fulcio.</summary>
    public string TokenAudience { get; set; } = Signing.Keyless.KeylessSignerOptions.DefaultAudience;

    /// <summary>Keyless: trust Fulcio certificates without a verified SCT (unsafe: a mis-issued certificate could go unseen).</summary>
    public bool UnsafeNoSct { get; set; }

    /// <summary>RFC 3161 timestamp authorities (Sigstore TSA API URLs) that date every new signature; the trusted root must name them.</summary>
    public List<string> TimestampAuthorities { get; init; } = [];

    /// <summary>Key mode: more PEM public key files whose sightings count (earlier keys, after a rotation).</summary>
    public List<string> TrustedKeys { get; init; } = [];

    /// <summary>The log ID (hex) whose unsigned Go tlogistry entries count, with <see cref="LegacyKey"/>; none by default.</summary>
    public string? LegacyLog { get; set; }

    /// <summary>The PEM public key file that those legacy entries must name.</summary>
    public string? LegacyKey { get; set; }

    /// <summary>Requests per second each client address may make; 0 turns the limit off.</summary>
    public double RateLimitPerClient { get; set; }

    /// <summary>Requests a client may burst above its rate.</summary>
    public int RateLimitBurst { get; set; } = 100;

    /// <summary>New log entries (first sightings of a tag) each client address may cause per minute; 0 turns the limit off.</summary>
    public double FirstSightingsPerMinute { get; set; } = 60;

    /// <summary>First sightings a client address may make at once before the per-minute rate applies.</summary>
    public int FirstSightingBurst { get; set; } = 60;

    /// <summary>The URL clients reach this proxy at, for the commands the history page shows; unset, they show PROXY_URL.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>Webhook URLs told of every tag move the first time any replica records it (CloudEvents over HTTP POST).</summary>
    public List<string> Notify { get; init; } = [];

    /// <summary>Bytes of manifests kept in memory by digest (immutable, so never stale); 0 turns the cache off.</summary>
    public long ManifestCacheBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Bytes of pinned manifests held in the store for answering without upstream; 0 holds none.</summary>
    public long HeldManifestBytes { get; set; } = Registry.Tags.HeldPinSettings.DefaultMaxBytes;

    /// <summary>Rows the record of moved tags keeps; past it, the rows last seen longest ago are dropped.</summary>
    public int MovesMaxRows { get; set; } = Tlogistry.Store.ITagMoves.DefaultMaxRows;

    /// <summary>How long a pinned tag confirmed upstream is answered from its held manifest without asking again: <c>0</c> (ask every time), or e.g. <c>30s</c>, <c>5m</c>, <c>1h</c>.</summary>
    public string RevalidateAfter { get; set; } = "0";

    /// <summary>What a pinned tag gets when upstream fails to answer: <c>serve-pinned</c> (its held manifest, marked stale) or <c>fail</c> (the upstream error).</summary>
    public string OnUpstreamError { get; set; } = "serve-pinned";

    /// <summary>Console log format: <c>text</c> (one line a person reads) or <c>json</c> (one JSON object per line).</summary>
    public string LogFormat { get; set; } = "text";

    /// <summary>OTLP/HTTP base URL traces are exported to (<c>/v1/traces</c> is added); unset, no traces are made.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>Tags served as upstream has them now, never pinned: .NET regular expressions matched against the tag alone.</summary>
    public List<string> MutableTags { get; init; } = [];

    /// <summary>What a request for a tag that moved upstream gets: <c>fail</c> (409 DENIED) or <c>serve-pinned</c>.</summary>
    public string OnMismatch { get; set; } = "fail";

    /// <summary>Per-registry tag policy entries, <c>REGISTRY:mutable-tag=REGEX</c> or <c>REGISTRY:on-mismatch=VALUE</c>, as given to <c>--policy</c>.</summary>
    public List<string> Policies { get; init; } = [];

    /// <summary>PEM certificate (chain) to serve HTTPS with; set together with <see cref="TlsKey"/>, or neither for plain HTTP.</summary>
    public string? TlsCert { get; set; }

    /// <summary>PEM private key of <see cref="TlsCert"/>.</summary>
    public string? TlsKey { get; set; }

    public const int DefaultPort = 8080;

    public Policy.TagPolicy ParseTagPolicy() => Policy.TagPolicy.Parse(MutableTags, OnMismatch, Policies);

    public Registry.UnavailablePolicy ParseUnavailablePolicy() => OnLogUnavailable.Trim().ToLowerInvariant() switch
    {
        "fail" => Registry.UnavailablePolicy.Fail,
        "serve" => Registry.UnavailablePolicy.ServeUnverifiedUnsafe,
        _ => throw new FormatException($"--on-log-unavailable must be fail or serve, got \"{OnLogUnavailable}\""),
    };

    public Registry.Tags.HeldPinSettings ParseHeldPinSettings()
    {
        if (HeldManifestBytes < 0)
        {
            throw new FormatException($"--held-manifest-bytes must be 0 (hold none) or more, got {HeldManifestBytes}");
        }

        var serve = OnUpstreamError.Trim().ToLowerInvariant() switch
        {
            "serve-pinned" => true,
            "fail" => false,
            _ => throw new FormatException($"--on-upstream-error must be serve-pinned or fail, got \"{OnUpstreamError}\""),
        };
        return new Registry.Tags.HeldPinSettings(HeldManifestBytes, ParseDuration("--revalidate-after", RevalidateAfter), serve);
    }

    /// <summary>A duration as a whole number with a unit (<c>s</c>, <c>m</c>, <c>h</c>, <c>d</c>), or <c>0</c>.</summary>
    internal static TimeSpan ParseDuration(string flag, string value)
    {
        var text = value.Trim();
        if (text == "0")
        {
            return TimeSpan.Zero;
        }

        var unit = text.Length > 1 ? text[^1] : ' ';
        if (text.Length > 1 && long.TryParse(text[..^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 100_000)
        {
            switch (unit)
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
                case 'd': return TimeSpan.FromDays(n);
            }
        }

        throw new FormatException($"{flag} must be 0 or a whole number of s, m, h or d (e.g. 30s, 5m, 1h), got \"{value}\"");
    }

    /// <summary>The flag or configured port, else <c>PORT</c> from the environment (as container platforms set it), else 8080.</summary>
    public int ResolvePort(string? portVariable)
    {
        if (Port is int configured)
        {
            return configured;
        }

        if (string.IsNullOrWhiteSpace(portVariable))
        {
            return DefaultPort;
        }

        return int.TryParse(portVariable, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536
            ? p
            : throw new FormatException($"PORT must be a TCP port number, got \"{portVariable}\"");
    }

    public static string DefaultDataDir()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var baseDir = !string.IsNullOrEmpty(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(baseDir, "tlogistry");
    }
}
