namespace Tlogistry.Moves.Notify;

/// <summary>
/// A <c>--notify</c> address: an absolute http(s) URL with a host and no user info or fragment.
/// Webhook URLs often carry a secret in their path or query, so logs name only <see cref="Display"/>.
/// </summary>
internal sealed record WebhookUrl(Uri Url)
{
    /// <summary>Scheme, host and port only: what log lines may show.</summary>
    public string Display => SafePart(Url);

    public override string ToString() => Display;

    /// <summary>Parses one flag value; a clear <see cref="FormatException"/> otherwise.</summary>
    public static WebhookUrl Parse(string? text)
    {
        Uri? url = null;
        if (string.IsNullOrWhiteSpace(text)
            || !Uri.TryCreate(text.Trim(), UriKind.Absolute, out url)
            || url.Scheme is not ("http" or "https")
            || url.Host.Length == 0)
        {
            // The value may be a secret URL mistyped: say what is wrong without repeating it.
            var what = url is null ? "a value that is not an absolute URL" : url.Scheme is not ("http" or "https") ? $"a {url.Scheme}: URL" : "a URL without a host";
            throw new FormatException($"--notify must be an absolute http or https URL, such as https://hooks.example.com/tlogistry, got {what}");
        }

        if (url.UserInfo.Length > 0)
        {
            throw new FormatException($"--notify {SafePart(url)}...: user info in the URL is not sent; put a secret in the path or query instead");
        }

        if (url.Fragment.Length > 0)
        {
            throw new FormatException($"--notify {SafePart(url)}...: must not have a #fragment (it is never sent)");
        }

        return new WebhookUrl(url);
    }

    /// <summary>Scheme, host and port, never user info, path or query (where a secret lives).</summary>
    private static string SafePart(Uri url) => url.IsDefaultPort ? $"{url.Scheme}://{url.Host}" : $"{url.Scheme}://{url.Host}:{url.Port}";

    /// <summary>Every flag value parsed, duplicates (by exact URL) refused: each would receive every event twice.</summary>
    public static IReadOnlyList<WebhookUrl> ParseAll(IEnumerable<string> texts)
    {
        var urls = texts.Select(Parse).ToList();
        var twice = urls.GroupBy(u => u.Url.AbsoluteUri, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return twice is null ? urls : throw new FormatException($"--notify names {twice.First().Display}... twice; each URL is told every move once");
    }
}
