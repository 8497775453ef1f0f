using Tlogistry.Oci;

namespace Tlogistry.Registry.Routing;

/// <summary>The route as a metric label (<see cref="RequestOutcome"/>): what was asked for, whether or not it was valid.</summary>
internal static class RouteLabels
{
    public static string For(RouteMatch route) => route.Kind switch
    {
        RouteKind.Manifest => route.Reference is { IsDigest: false } ? RequestOutcome.ManifestByTag : RequestOutcome.ManifestByDigest,
        RouteKind.Blob => RequestOutcome.Blob,
        RouteKind.TagsList => RequestOutcome.Tags,
        RouteKind.Referrers => RequestOutcome.Referrers,
        RouteKind.Base => RequestOutcome.Base,
        _ => RequestOutcome.Other,
    };
}
