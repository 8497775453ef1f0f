namespace Tlogistry.Moves.Notify;

/// <summary>
/// A <c>--notify</c> address: an absolute http(s) URL with a host and no user info or fragment.
/// Webhook URLs often carry a secret in their path or query, so logs name only <see cref="Display"/>.
/// </summary>
internal sealed record WebhookUrl(Uri Url)
{
    /// <summary>Scheme, host and port only: what log lines may show.</summary>
    public string Display => Url.GetLeftPart(UriPartial.Authority);

    public override string ToString() => Display;

    /// <summary>Parses one flag value; a clear <see cref="FormatException"/> otherwise.</summary>
    public static WebhookUrl Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)
            || !Uri.TryCreate(text.Trim(), UriKind.Absolute, out var url)
            || url.Scheme is not ("http" or "https")
            || url.Host.Length == 0)
        {
            throw new FormatException($"--notify must be an absolute http or https URL, such as https://hooks.example.com/tlogistry, got \"{text}\"");
        }

        if (url.UserInfo.Length > 0)
        {
            throw new FormatException($"--notify {url.GetLeftPart(UriPartial.Authority).Replace(url.UserInfo + "@", "", StringComparison.Ordinal)}...: user info in the URL is not sent; put a secret in the path or query instead");
        }

        if (url.Fragment.Length > 0)
        {
            throw new FormatException($"--notify must not have a #fragment (it is never sent), got \"{text}\"");
        }

        return new WebhookUrl(url);
    }

    /// <summary>Every flag value parsed, duplicates (by exact URL) refused: each would receive every event twice.</summary>
    public static IReadOnlyList<WebhookUrl> ParseAll(IEnumerable<string> texts)
    {
        var urls = texts.Select(Parse).ToList();
        var twice = urls.GroupBy(u => u.Url.AbsoluteUri, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return twice is null ? urls : throw new FormatException($"--notify names {twice.First().Display}... twice; each URL is told every move once");
    }
}
