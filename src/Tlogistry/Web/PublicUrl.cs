namespace Tlogistry.Web;

/// <summary>
/// The address the pages put into the commands they show (<c>--public-url</c>). It is the
/// operator's setting, never the request's <c>Host</c> or forwarded headers, which any client
/// writes: a page must not hand a reader commands that fetch trust material from a host the
/// requester chose. Unset, the commands show <see cref="Placeholder"/> for the reader to fill in.
/// </summary>
internal sealed record PublicUrl(string Origin)
{
    public const string Placeholder = "PROXY_URL";

    /// <summary>True when the operator configured the address.</summary>
    public bool Configured => Origin != Placeholder;

    /// <summary>
    /// An absolute http(s) URL with no user info, query or fragment; a trailing slash is dropped.
    /// Null or empty gives the placeholder.
    /// </summary>
    public static PublicUrl Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return new PublicUrl(Placeholder);
        }

        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")
            || url.UserInfo.Length > 0 || url.Query.Length > 0 || url.Fragment.Length > 0)
        {
            throw new FormatException($"--public-url must be an absolute http(s) URL with no user, query or fragment, such as https://registry.example.com, got \"{text}\"");
        }

        return new PublicUrl(url.GetLeftPart(UriPartial.Path).TrimEnd('/'));
    }
}
