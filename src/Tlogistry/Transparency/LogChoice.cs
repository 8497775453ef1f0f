using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Transparency;

internal enum LogKind
{
    Embedded,
    RekorV1,
    RekorV2,
}

/// <summary>The <c>--log</c> setting: <c>embedded</c>, <c>rekor-v1=URL</c> or <c>rekor-v2=URL</c>.</summary>
internal sealed record LogChoice(LogKind Kind, Uri? Url)
{
    /// <summary>
    /// The URL the trusted root names this log at when it differs from <see cref="Url"/> (the
    /// address written to): the log's key, not its address, is what is checked, so a public
    /// read-only URL and an internal write URL can be one log.
    /// </summary>
    public Uri? PublicUrl { get; init; }

    /// <summary>This choice with the trusted root naming the log at <paramref name="publicUrl"/> (null or empty: at <see cref="Url"/>).</summary>
    public LogChoice WithPublicUrl(string? publicUrl)
    {
        if (string.IsNullOrWhiteSpace(publicUrl))
        {
            return this;
        }

        if (Kind == LogKind.Embedded)
        {
            throw new FormatException("--log-public-url names a Rekor log's public address; the embedded log is published by the proxy itself");
        }

        return Uri.TryCreate(publicUrl.Trim().TrimEnd('/'), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Query.Length == 0
            ? this with { PublicUrl = uri }
            : throw new FormatException($"--log-public-url needs an http(s) base URL such as https://log.example.com, got \"{publicUrl}\"");
    }

    public static LogChoice Parse(string? text)
    {
        var value = (text ?? "").Trim();
        if (value.Length == 0 || value.Equals("embedded", StringComparison.OrdinalIgnoreCase))
        {
            return new LogChoice(LogKind.Embedded, null);
        }

        var eq = value.IndexOf('=', StringComparison.Ordinal);
        var kind = eq < 0 ? "" : value[..eq].ToLowerInvariant();
        var url = eq < 0 ? "" : value[(eq + 1)..].TrimEnd('/');
        var parsed = kind switch
        {
            "rekor-v1" => LogKind.RekorV1,
            "rekor-v2" => LogKind.RekorV2,
            _ => throw new FormatException($"--log must be embedded, rekor-v1=URL or rekor-v2=URL, got \"{value}\""),
        };

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || uri.Query.Length > 0)
        {
            throw new FormatException($"--log {kind} needs an http(s) base URL such as https://rekor.sigstore.dev, got \"{url}\"");
        }

        return new LogChoice(parsed, uri);
    }

    /// <summary>
    /// The log ID the trusted root gives this (Rekor) log: same base URL, and for Rekor v1 the
    /// SHA-256 of the key, for a tiles log (v2) the signed-note key hash. A tiles log may be
    /// listed at its server's URL followed by its origin (as <c>log serve</c> lists it), which
    /// also names it.
    /// </summary>
    public byte[] FindLogId(TrustedRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var url = (PublicUrl ?? Url ?? throw new InvalidOperationException("the embedded log is not named by URL")).ToString().TrimEnd('/');
        foreach (var log in root.Logs)
        {
            var listed = log.BaseUrl.TrimEnd('/');
            var underOrigin = Kind == LogKind.RekorV2 && listed.StartsWith(url + "/", StringComparison.OrdinalIgnoreCase) && !listed[(url.Length + 1)..].Contains("//", StringComparison.Ordinal);
            if (!string.Equals(listed, url, StringComparison.OrdinalIgnoreCase) && !underOrigin)
            {
                continue;
            }

            var isV1 = log.LogId.AsSpan().SequenceEqual(LogIds.ForRekorV1(log.PublicKeyDer));
            if (isV1 == (Kind == LogKind.RekorV1))
            {
                return log.LogId;
            }
        }

        throw new FormatException(
            $"the trusted root has no {(Kind == LogKind.RekorV1 ? "Rekor v1" : "Rekor v2")} log at {url}; pass --trusted-root with a trusted_root.json that lists it (tlogistry log serve writes one into its data directory), or --log-public-url with the URL it names");
    }
}
