namespace Tlogistry.Host;

internal enum LogKind
{
    Embedded,
    RekorV1,
    RekorV2,
}

/// <summary>The <c>--log</c> setting: <c>embedded</c>, <c>rekor-v1=URL</c> or <c>rekor-v2=URL</c>.</summary>
internal sealed record LogChoice(LogKind Kind, Uri? Url)
{
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
}
