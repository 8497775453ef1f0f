using Microsoft.AspNetCore.Http;
using Tlogistry.Oci;

namespace Tlogistry.Registry.PassThrough;

/// <summary>
/// The headers that cross the proxy on a pass-through, each way: a fixed list, never all of
/// them, so no cookie, credential or upstream-specific header is relayed.
/// </summary>
internal static class PassThroughHeaders
{
    /// <summary>The response headers a registry client needs, copied as upstream sent them.</summary>
    public static readonly IReadOnlyList<string> Response =
    [
        "Content-Length", "Content-Range", "Accept-Ranges", "Docker-Content-Digest",
        "ETag", "Last-Modified", "Cache-Control", "Expires", "OCI-Filters-Applied",
    ];

    /// <summary>Accept (a manifest route: the served manifest types, whatever the client asked), Range and If-Range.</summary>
    public static void CopyRequest(HttpRequest from, HttpRequestMessage to, bool manifest)
    {
        if (manifest)
        {
            to.Headers.TryAddWithoutValidation("Accept", MediaTypes.ManifestAccept);
        }
        else if (from.Headers.Accept.Count > 0)
        {
            to.Headers.TryAddWithoutValidation("Accept", from.Headers.Accept.ToString());
        }

        if (from.Headers.Range.Count > 0)
        {
            to.Headers.TryAddWithoutValidation("Range", from.Headers.Range.ToString());
        }

        if (from.Headers.IfRange.Count > 0)
        {
            to.Headers.TryAddWithoutValidation("If-Range", from.Headers.IfRange.ToString());
        }
    }

    /// <summary>Takes back what <see cref="CopyResponse"/> set, for an error answered in place of a body not yet begun.</summary>
    public static void ClearResponse(HttpResponse to)
    {
        foreach (var header in Response)
        {
            to.Headers.Remove(header);
        }

        to.Headers.Remove("Link");
        to.ContentType = null;
    }

    /// <summary>The listed headers, and a pagination link rewritten to <paramref name="proxiedPath"/> with <paramref name="route"/>'s parameters.</summary>
    public static void CopyResponse(HttpResponseMessage from, HttpResponse to, string proxiedPath, ForwardedRoute route)
    {
        foreach (var header in Response)
        {
            if (from.Headers.TryGetValues(header, out var values) || from.Content.Headers.TryGetValues(header, out values))
            {
                to.Headers[header] = values.ToArray();
            }
        }

        // Pagination comes back to the proxy, and only for the same endpoint upstream: a link
        // anywhere else is dropped (UpstreamLink).
        if (from.Headers.NonValidated.TryGetValues("Link", out var links) && from.RequestMessage?.RequestUri is { } requested
            && links.Select(l => UpstreamLink.Rewrite(l, requested, proxiedPath, route)).FirstOrDefault(l => l is not null) is { } next)
        {
            to.Headers["Link"] = next;
        }
    }
}
