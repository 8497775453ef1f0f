using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Tlogistry.Oci;

namespace Tlogistry.Registry.PassThrough;

/// <summary>
/// What a pass-through route asks upstream for: the path under the repository, the query
/// parameters the API defines for it (no others are passed, either way: a client's query going
/// up and a pagination link's coming back are filtered alike), the error code an upstream 404
/// becomes, and whether the answer must be a manifest.
/// </summary>
/// <param name="Parameters">The query parameters this endpoint passes, as the API spells them.</param>
internal sealed record ForwardedRoute(string Path, string Query, string NotFoundCode, bool Manifest, IReadOnlyList<string> Parameters)
{
    private static readonly string[] TagsListParameters = ["n", "last"];
    // The referrers API defines a filter only; its pages follow the tags list's cursor.
    private static readonly string[] ReferrersParameters = ["artifactType", "last"];

    /// <summary>The path and query, as sent upstream.</summary>
    public string Suffix => Path + Query;

    public static ForwardedRoute For(RouteMatch route, IQueryCollection query) => route.Kind switch
    {
        RouteKind.Manifest => new("manifests/" + route.Digest, "", OciErrorCodes.ManifestUnknown, Manifest: true, []),
        RouteKind.Blob => new("blobs/" + route.Digest, "", OciErrorCodes.BlobUnknown, Manifest: false, []),
        RouteKind.TagsList => new("tags/list", Asked(query, TagsListParameters), OciErrorCodes.NameUnknown, Manifest: false, TagsListParameters),
        RouteKind.Referrers => new("referrers/" + route.Digest, Asked(query, ReferrersParameters), OciErrorCodes.ManifestUnknown, Manifest: false, ReferrersParameters),
        _ => throw new ArgumentOutOfRangeException(nameof(route), route.Kind, "not a pass-through route"),
    };

    /// <summary>The same endpoint's path on the proxy, as the client named the repository.</summary>
    public string ProxiedPath(RouteMatch route) => "/v2/" + route.ProxiedName + "/" + Path;

    /// <summary>
    /// The query a pagination link may carry back to the client: this endpoint's parameters
    /// only, in the link's order. Names are matched as ASP.NET reads them (decoded, any case),
    /// so <c>NS</c> or <c>%6Es</c> is dropped like <c>ns</c>: nothing the proxy would read as
    /// another registry or another request crosses.
    /// </summary>
    public string LinkQuery(string query)
    {
        var pairs = new List<(string, string)>();
        foreach (var pair in new QueryStringEnumerable(query))
        {
            pairs.Add((pair.DecodeName().ToString(), pair.DecodeValue().ToString()));
        }

        return Pass(pairs, Parameters);
    }

    /// <summary>The client's query, in the order the endpoint's parameters are named.</summary>
    private static string Asked(IQueryCollection query, string[] names) =>
        Pass(names.SelectMany(n => query[n].OfType<string>().Select(v => (n, v))), names);

    private static string Pass(IEnumerable<(string Name, string Value)> pairs, IReadOnlyList<string> names)
    {
        var parts = new List<string>();
        foreach (var (name, value) in pairs)
        {
            if (names.FirstOrDefault(n => n.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } known)
            {
                parts.Add(known + "=" + Uri.EscapeDataString(value));
            }
        }

        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }
}
