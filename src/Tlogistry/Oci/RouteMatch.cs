using System.Diagnostics.CodeAnalysis;

namespace Tlogistry.Oci;

/// <summary>
/// The result of <see cref="RegistryRoute.Parse"/>. Which properties are set depends on
/// <see cref="Kind"/>:
/// <see cref="RouteKind.Manifest"/> sets <see cref="Name"/> and <see cref="Reference"/>;
/// <see cref="RouteKind.Blob"/> and <see cref="RouteKind.Referrers"/> set <see cref="Name"/> and
/// <see cref="Digest"/>; <see cref="RouteKind.TagsList"/> sets <see cref="Name"/>;
/// the error kinds set <see cref="Error"/>. Every routable kind but the base sets
/// <see cref="ProxiedName"/>.
/// </summary>
internal sealed record RouteMatch
{
    private RouteMatch(RouteKind kind, int statusCode)
    {
        Kind = kind;
        StatusCode = statusCode;
    }

    public RouteKind Kind { get; }

    /// <summary>200 for a routable request; for an error kind, the status to answer with.</summary>
    public int StatusCode { get; }

    public ImageName? Name { get; private init; }

    /// <summary>
    /// The name exactly as the client wrote it in the path (e.g. <c>alpine</c> for
    /// <c>docker.io/library/alpine</c>); for a mirror request (<c>ns</c>), the full
    /// <c>registry/repository</c>, which names it on the proxy without the parameter.
    /// </summary>
    public string? ProxiedName { get; private init; }

    public ImageReference? Reference { get; private init; }

    public Digest? Digest { get; private init; }

    public OciError? Error { get; private init; }

    [MemberNotNullWhen(true, nameof(Error))]
    public bool IsError => Error is not null;

    internal static RouteMatch Base() => new(RouteKind.Base, 200);

    internal static RouteMatch Manifest(ImageReference reference, string proxiedName) =>
        new(RouteKind.Manifest, 200) { Name = reference.Name, ProxiedName = proxiedName, Reference = reference, Digest = reference.Digest };

    internal static RouteMatch Blob(ImageName name, string proxiedName, Digest digest) =>
        new(RouteKind.Blob, 200) { Name = name, ProxiedName = proxiedName, Digest = digest };

    internal static RouteMatch TagsList(ImageName name, string proxiedName) =>
        new(RouteKind.TagsList, 200) { Name = name, ProxiedName = proxiedName };

    internal static RouteMatch Referrers(ImageName name, string proxiedName, Digest digest) =>
        new(RouteKind.Referrers, 200) { Name = name, ProxiedName = proxiedName, Digest = digest };

    internal static RouteMatch UnknownRoute(OciError error) =>
        new(RouteKind.UnknownRoute, 404) { Error = error };

    internal static RouteMatch WriteAttempt(OciError error) =>
        new(RouteKind.WriteAttempt, 405) { Error = error };

    internal static RouteMatch Invalid(OciError error) =>
        new(RouteKind.Invalid, 400) { Error = error };

    /// <summary>
    /// A tag that cannot exist: no manifest can be stored under it, so it answers as any tag
    /// upstream does not hold (404 MANIFEST_UNKNOWN, as the distribution spec and its
    /// conformance suite have it), with the reason it cannot exist. 400 TAG_INVALID is legacy
    /// since spec v1.0, and a moved tag's refusal must not look like a malformed request.
    /// </summary>
    internal static RouteMatch NoSuchTag(OciError reason) =>
        new(RouteKind.Invalid, 404) { Error = new OciError(OciErrorCodes.ManifestUnknown, reason.Message) };
}
