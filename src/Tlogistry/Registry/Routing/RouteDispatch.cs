using Tlogistry.Oci;

namespace Tlogistry.Registry.Routing;

/// <summary>Which step of the registry API answers a parsed route.</summary>
internal enum RegistryHandler
{
    /// <summary><c>/v2/</c>: the version check, answered here.</summary>
    Base,

    /// <summary>A manifest by tag: the tag flow (policy, ledger, serve or refuse).</summary>
    ManifestByTag,

    /// <summary>A whole sha256 manifest by digest: read, hashed, and kept in memory.</summary>
    ManifestByDigest,

    /// <summary>Everything else upstream holds (blobs, tag lists, referrers, other manifests): streamed through.</summary>
    PassThrough,

    /// <summary>A route the parser refused: its own OCI error.</summary>
    Refused,
}

/// <summary>The route → handler table of the registry API (pure).</summary>
internal static class RouteDispatch
{
    /// <param name="route">the parsed route</param>
    /// <param name="rangeRequested">whether the request carries a <c>Range</c> header</param>
    public static RegistryHandler For(RouteMatch route, bool rangeRequested) => route.Kind switch
    {
        RouteKind.Base => RegistryHandler.Base,
        RouteKind.Manifest when route.Reference is { IsDigest: false } => RegistryHandler.ManifestByTag,
        // Whole sha256 manifests are read, checked and kept; a range or another algorithm is
        // passed through, under a manifest type upstream declared.
        RouteKind.Manifest when route.Reference?.Digest is { Algorithm: Digest.Sha256Algorithm } && !rangeRequested => RegistryHandler.ManifestByDigest,
        RouteKind.Manifest or RouteKind.Blob or RouteKind.TagsList or RouteKind.Referrers => RegistryHandler.PassThrough,
        _ => RegistryHandler.Refused,
    };
}
