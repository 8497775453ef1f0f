namespace Tlogistry.Oci;

/// <summary>
/// Maps a request method and raw path onto the proxy's read-only registry API.
/// <para>
/// The path must be the raw request target path, still percent-encoded, so that an encoded
/// slash (<c>%2F</c>) can never act as a separator; any percent-encoding inside a repository
/// name is rejected. A query string or fragment, if present, is ignored.
/// </para>
/// <para>
/// Names may contain '/', so a route is recognised by its last segments:
/// <c>.../manifests/&lt;ref&gt;</c>, <c>.../blobs/&lt;digest&gt;</c>, <c>.../tags/list</c>,
/// <c>.../referrers/&lt;digest&gt;</c>; everything before that suffix is the name.
/// Tags and digests never contain '/', so this is the last occurrence of the suffix.
/// Anything under <c>.../blobs/uploads</c> is part of the push protocol and is refused as a write
/// whatever the method.
/// </para>
/// <para>
/// Checks run in this order: route shape (else 404 UNSUPPORTED), method (anything but GET and
/// HEAD is 405 UNSUPPORTED), the mirror's <c>ns</c> parameter and the name (400 NAME_INVALID),
/// then tag or digest (a tag that cannot exist is 404 MANIFEST_UNKNOWN, a malformed digest 400
/// DIGEST_INVALID). Both <c>/v2/</c> and <c>/v2</c> are
/// the base route, whatever <c>ns</c> says.
/// </para>
/// <para>
/// A mirror request's <c>ns</c> (<see cref="MirrorNamespace"/>) names the registry of a path
/// that leaves it out; the route's <see cref="RouteMatch.ProxiedName"/> is then the full
/// <c>registry/repository</c>, the one path on the proxy that names the same repository
/// without the parameter.
/// </para>
/// </summary>
internal static class RegistryRoute
{
    /// <summary>Value of the Allow header for 405 answers.</summary>
    public const string AllowedMethods = "GET, HEAD";

    private const string ReadOnlyMessage =
        "this registry is read-only: only GET and HEAD requests for manifests, blobs, tags and referrers are served";

    private const string UnknownMessage =
        "unknown route: this registry serves /v2/, /v2/<name>/manifests/<tag or digest>, /v2/<name>/blobs/<digest>, "
        + "/v2/<name>/tags/list and /v2/<name>/referrers/<digest>";

    private enum Shape
    {
        None,
        Manifest,
        Blob,
        TagsList,
        Referrers,
        Upload,
    }

    public static RouteMatch Parse(string method, string rawPath) => Parse(method, rawPath, []);

    /// <param name="method">the request method</param>
    /// <param name="rawPath">the raw request path</param>
    /// <param name="ns">every value of the request's <c>ns</c> query parameter, none when absent</param>
    public static RouteMatch Parse(string method, string rawPath, IReadOnlyList<string?> ns)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(rawPath);

        var path = rawPath.AsSpan();
        var end = path.IndexOfAny('?', '#');
        if (end >= 0)
        {
            path = path[..end];
        }

        var isRead = method is "GET" or "HEAD";
        if (path is "/v2" or "/v2/")
        {
            return isRead ? RouteMatch.Base() : WriteAttempt();
        }

        if (!path.StartsWith("/v2/", StringComparison.Ordinal))
        {
            return Unknown();
        }

        var shape = Split(path[4..], out var name, out var last);
        if (shape == Shape.None || name.IsEmpty)
        {
            return Unknown();
        }

        if (shape == Shape.Upload || !isRead)
        {
            return WriteAttempt();
        }

        if (!MirrorNamespace.TryRead(ns, out var mirrored, out var nsError))
        {
            return RouteMatch.Invalid(nsError);
        }

        var proxiedName = name.ToString();
        if (!ImageNameParser.TryParse(proxiedName, mirrored, out var imageName, out var nameError))
        {
            return RouteMatch.Invalid(nameError);
        }

        if (mirrored is not null)
        {
            proxiedName = imageName.ToString();
        }

        switch (shape)
        {
            case Shape.TagsList:
                return RouteMatch.TagsList(imageName, proxiedName);

            case Shape.Manifest:
                return ImageReference.TryParse(imageName, last.ToString(), out var reference, out var referenceError)
                    ? RouteMatch.Manifest(reference, proxiedName)
                    : referenceError.Code == OciErrorCodes.TagInvalid ? RouteMatch.NoSuchTag(referenceError) : RouteMatch.Invalid(referenceError);

            default:
                if (!Digest.TryParse(last.ToString(), out var digest, out var digestError))
                {
                    return RouteMatch.Invalid(digestError);
                }

                return shape == Shape.Blob
                    ? RouteMatch.Blob(imageName, proxiedName, digest)
                    : RouteMatch.Referrers(imageName, proxiedName, digest);
        }
    }

    /// <summary>
    /// Splits the part after <c>/v2/</c> into route shape, name, and final segment (the tag or
    /// digest where the route has one).
    /// </summary>
    private static Shape Split(ReadOnlySpan<char> rest, out ReadOnlySpan<char> name, out ReadOnlySpan<char> last)
    {
        name = default;
        if (!TrySplitLast(rest, out var before1, out last)
            || !TrySplitLast(before1, out var before2, out var previous))
        {
            return Shape.None;
        }

        // <name>/blobs/uploads/<anything, possibly empty>
        if (previous is "uploads" && TrySplitLast(before2, out var before3, out var third) && third is "blobs")
        {
            name = before3;
            return Shape.Upload;
        }

        name = before2;
        if (previous is "blobs")
        {
            return last is "uploads" ? Shape.Upload : Shape.Blob;
        }

        if (previous is "tags")
        {
            return last is "list" ? Shape.TagsList : Shape.None;
        }

        return previous switch
        {
            "manifests" => Shape.Manifest,
            "referrers" => Shape.Referrers,
            _ => Shape.None,
        };
    }

    private static bool TrySplitLast(ReadOnlySpan<char> value, out ReadOnlySpan<char> before, out ReadOnlySpan<char> last)
    {
        var slash = value.LastIndexOf('/');
        if (slash < 0)
        {
            before = default;
            last = default;
            return false;
        }

        before = value[..slash];
        last = value[(slash + 1)..];
        return true;
    }

    private static RouteMatch Unknown() =>
        RouteMatch.UnknownRoute(new OciError(OciErrorCodes.Unsupported, UnknownMessage));

    private static RouteMatch WriteAttempt() =>
        RouteMatch.WriteAttempt(new OciError(OciErrorCodes.Unsupported, ReadOnlyMessage));
}
