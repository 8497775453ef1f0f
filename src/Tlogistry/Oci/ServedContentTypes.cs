namespace Tlogistry.Oci;

/// <summary>
/// The Content-Type the proxy serves for what it passes through from upstream, chosen by the
/// route and never copied from upstream's answer: a browser must not be able to take anything
/// upstream sent for a page of the proxy's origin. Blobs are opaque bytes to every registry
/// client, whatever type upstream claims; a tag list is JSON; a referrers answer is an OCI
/// index; a manifest keeps upstream's declared type only when it is a served manifest type.
/// </summary>
internal static class ServedContentTypes
{
    public const string Blob = "application/octet-stream";
    public const string TagList = "application/json";

    /// <summary>The type to serve, or null when upstream's answer cannot be served under any (a manifest of no served type).</summary>
    public static string? For(RouteKind route, string? declared) => route switch
    {
        RouteKind.Manifest => ManifestCheck.ServedType(declared),
        RouteKind.TagsList => TagList,
        RouteKind.Referrers => MediaTypes.OciIndex,
        _ => Blob,
    };
}
