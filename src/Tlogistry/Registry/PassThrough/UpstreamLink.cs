namespace Tlogistry.Registry.PassThrough;

/// <summary>
/// Upstream's pagination <c>Link</c> header, turned into one the client follows back to the
/// proxy, or dropped. The next page is only ever the same endpoint on the same upstream with
/// another query: a target that resolves (relative, protocol-relative or absolute) to another
/// scheme, host, port or path, or that carries user info, is not passed on. What is passed is
/// the proxy's own path for that endpoint, the endpoint's own query parameters
/// (<see cref="ForwardedRoute.LinkQuery"/>), and <c>rel="next"</c>; nothing else of upstream's text.
/// </summary>
internal static class UpstreamLink
{
    /// <param name="link">one Link header value as upstream sent it</param>
    /// <param name="requested">the URL the proxy asked upstream for this page</param>
    /// <param name="proxiedPath">the same endpoint's path on the proxy, as the client named it</param>
    /// <param name="route">the endpoint, which decides which query parameters cross</param>
    /// <returns>the Link value for the client, or null to send none</returns>
    public static string? Rewrite(string link, Uri requested, string proxiedPath, ForwardedRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        var value = link.Trim();
        var close = value.IndexOf('>', StringComparison.Ordinal);
        if (!value.StartsWith('<') || close < 0 || !IsNext(value[(close + 1)..]))
        {
            return null;
        }

        var target = value[1..close];
        if (target.Length == 0 || target.Any(c => c is <= ' ' or > '~' or '\\')
            || !Uri.TryCreate(requested, target, out var resolved)
            || !resolved.IsAbsoluteUri
            || resolved.UserInfo.Length > 0
            || Uri.Compare(resolved, requested, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) != 0
            || !string.Equals(resolved.AbsolutePath, requested.AbsolutePath, StringComparison.Ordinal))
        {
            return null;
        }

        return resolved.Query.All(IsQueryChar) ? $"<{proxiedPath}{route.LinkQuery(resolved.Query)}>; rel=\"next\"" : null;
    }

    /// <summary>True when the link's parameters are a list of <c>name=value</c> whose <c>rel</c> names <c>next</c>.</summary>
    private static bool IsNext(string parameters)
    {
        // One link per value: a second one (after a comma) is not read, so the value is not passed.
        if (parameters.Contains('<', StringComparison.Ordinal) || parameters.Contains(',', StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var part in parameters.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && part[..equals].Trim().Equals("rel", StringComparison.OrdinalIgnoreCase))
            {
                var rel = part[(equals + 1)..].Trim().Trim('"');
                return rel.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("next", StringComparer.OrdinalIgnoreCase);
            }
        }

        return false;
    }

    /// <summary>RFC 3986 query characters (percent-encoded octets included): nothing that could end the link or the header.</summary>
    private static bool IsQueryChar(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
            or '-' or '.' or '_' or '~' or '%' or '!' or '$' or '&' or '\'' or '(' or ')' or '*' or '+' or ',' or ';' or '=' or ':' or '@' or '/' or '?';
}
