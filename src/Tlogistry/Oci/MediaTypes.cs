namespace Tlogistry.Oci;

/// <summary>Manifest media types the proxy requests from upstream registries and recognises.</summary>
internal static class MediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";

    /// <summary>Legacy signed Docker schema 1 manifest; recognised, never requested.</summary>
    public const string DockerManifestSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    /// <summary>
    /// The Accept header value sent for manifest requests: every current manifest and index
    /// type, so the upstream returns what it stores instead of converting it.
    /// </summary>
    public const string ManifestAccept =
        OciIndex + ", " + OciManifest + ", " + DockerManifestList + ", " + DockerManifest;

    /// <summary>Largest manifest body the proxy accepts, in bytes (the common registry limit).</summary>
    public const int MaxManifestBytes = 4 * 1024 * 1024;

    /// <summary>True for an image index or Docker manifest list.</summary>
    public static bool IsIndex(string? mediaType) =>
        Is(mediaType, OciIndex) || Is(mediaType, DockerManifestList);

    /// <summary>True for any manifest or index media type listed here, including schema 1.</summary>
    public static bool IsKnownManifest(string? mediaType) =>
        Is(mediaType, OciManifest) || Is(mediaType, OciIndex) || Is(mediaType, DockerManifest)
        || Is(mediaType, DockerManifestList) || Is(mediaType, DockerManifestSchema1Signed);

    /// <summary>Compares a Content-Type value with a media type, ignoring parameters and case.</summary>
    private static bool Is(string? value, string mediaType)
    {
        if (value is null)
        {
            return false;
        }

        var span = value.AsSpan();
        var semicolon = span.IndexOf(';');
        if (semicolon >= 0)
        {
            span = span[..semicolon];
        }

        return span.Trim().Equals(mediaType, StringComparison.OrdinalIgnoreCase);
    }
}
