using Microsoft.AspNetCore.Http;
using Tlogistry.Oci;

namespace Tlogistry.Registry.PassThrough;

/// <summary>
/// What a pass-through route asks upstream for: the path under the repository, the query
/// parameters the API defines for it (no others are passed), the error code an upstream 404
/// becomes, and whether the answer must be a manifest.
/// </summary>
internal sealed record ForwardedRoute(string Path, string Query, string NotFoundCode, bool Manifest)
{
    /// <summary>The path and query, as sent upstream.</summary>
    public string Suffix => Path + Query;

    public static ForwardedRoute For(RouteMatch route, IQueryCollection query) => route.Kind switch
    {
        RouteKind.Manifest => new("manifests/" + route.Digest, "", OciErrorCodes.ManifestUnknown, Manifest: true),
        RouteKind.Blob => new("blobs/" + route.Digest, "", OciErrorCodes.BlobUnknown, Manifest: false),
        RouteKind.TagsList => new("tags/list", QueryOf(query, "n", "last"), OciErrorCodes.NameUnknown, Manifest: false),
        RouteKind.Referrers => new("referrers/" + route.Digest, QueryOf(query, "artifactType"), OciErrorCodes.ManifestUnknown, Manifest: false),
        _ => throw new ArgumentOutOfRangeException(nameof(route), route.Kind, "not a pass-through route"),
    };

    /// <summary>The same endpoint's path on the proxy, as the client named the repository.</summary>
    public string ProxiedPath(RouteMatch route) => "/v2/" + route.ProxiedName + "/" + Path;

    private static string QueryOf(IQueryCollection query, params string[] names)
    {
        var parts = new List<string>();
        foreach (var n in names)
        {
            foreach (var v in query[n])
            {
                if (v is not null)
                {
                    parts.Add(n + "=" + Uri.EscapeDataString(v));
                }
            }
        }

        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }
}
