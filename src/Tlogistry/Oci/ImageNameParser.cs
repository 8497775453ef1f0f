using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Tlogistry.Oci;

/// <summary>
/// Turns the <c>&lt;name&gt;</c> of a proxied request (<c>/v2/&lt;name&gt;/...</c>) into an
/// <see cref="ImageName"/>.
/// <list type="bullet">
/// <item>The first path component names a registry host when the name has more than one
/// component and that first component contains '.' or ':' or is exactly <c>localhost</c>;
/// otherwise the name is a Docker Hub repository.</item>
/// <item>That host is read once, by <see cref="RegistryHost.TryParse"/>, into the registry's one
/// name (lowercase, no :443, Docker Hub's aliases as <c>docker.io</c>, IP literals only in their
/// canonical text); a one-component Docker Hub repository gets <c>library/</c>.</item>
/// <item>The repository path must match the distribution grammar exactly, so it must be lowercase.</item>
/// <item><c>&lt;registry&gt;/&lt;repository&gt;</c> is at most 255 characters after normalisation.</item>
/// </list>
/// </summary>
internal static partial class ImageNameParser
{
    /// <summary>Longest canonical <c>registry/repository</c> accepted.</summary>
    public const int MaxNameLength = 255;

    // Input longer than this is rejected before any further work. Normalisation can shorten a
    // name (registry-1.docker.io/... becomes docker.io/...), so this is looser than MaxNameLength.
    private const int MaxInputLength = 512;

    private const string Grammar =
        "components are lowercase letters and digits, optionally joined by '.', '_', '__' or dashes, "
        + "and start and end with a letter or digit";

    public static bool TryParse(
        string? proxiedName,
        [NotNullWhen(true)] out ImageName? name,
        [NotNullWhen(false)] out OciError? error) => TryParse(proxiedName, null, out name, out error);

    /// <summary>
    /// Reads a name whose registry a mirror request gave apart (<see cref="MirrorNamespace"/>):
    /// the whole path is a repository on <paramref name="mirrored"/>, unless its first component
    /// names a registry, which must then be the same one (a mirror whose path keeps the
    /// registry, as containerd's <c>override_path</c> writes it); any other is refused.
    /// </summary>
    public static bool TryParse(
        string? proxiedName,
        RegistryHost? mirrored,
        [NotNullWhen(true)] out ImageName? name,
        [NotNullWhen(false)] out OciError? error)
    {
        name = null;
        if (string.IsNullOrEmpty(proxiedName))
        {
            error = Invalid("invalid repository name: the name is empty; expected e.g. alpine or ghcr.io/org/app");
            return false;
        }

        var shown = Display.Quote(proxiedName);
        if (proxiedName.Length > MaxInputLength)
        {
            error = Invalid($"invalid repository name {shown}: names are at most {MaxNameLength} characters");
            return false;
        }

        if (FindBadCharacter(proxiedName) is { } bad)
        {
            error = Invalid($"invalid repository name {shown}: {bad}");
            return false;
        }

        var components = proxiedName.Split('/');
        foreach (var component in components)
        {
            if (component.Length == 0)
            {
                error = Invalid($"invalid repository name {shown}: empty path component (leading, trailing or doubled '/')");
                return false;
            }

            if (component is "." or "..")
            {
                error = Invalid($"invalid repository name {shown}: '.' and '..' are not allowed as path components");
                return false;
            }
        }

        var first = components[0];
        var looksLikeHost = NamesRegistry(first);
        if (mirrored is not null && looksLikeHost && components.Length > 1)
        {
            if (!RegistryHost.TryParse(first, out var inPath, out var pathHostError))
            {
                error = Invalid($"invalid repository name {shown}: {pathHostError}");
                return false;
            }

            if (inPath != mirrored)
            {
                error = MirrorNamespace.Conflict(proxiedName, inPath, mirrored);
                return false;
            }
        }
        else if (mirrored is not null)
        {
            // The path is the repository alone: its first component is a namespace, whatever it looks like.
            looksLikeHost = false;
        }

        RegistryHost registry;
        string[] path;
        if (looksLikeHost && components.Length == 1)
        {
            error = RegistryHost.TryParse(first, out _, out var hostError)
                ? Invalid($"invalid repository name {shown}: this names a registry host but no repository; "
                    + $"use {first}/<repository>, or library/{first} for a Docker Hub image")
                : Invalid($"invalid repository name {shown}: {hostError}");
            return false;
        }

        if (looksLikeHost)
        {
            if (!RegistryHost.TryParse(first, out var host, out var hostError))
            {
                error = Invalid($"invalid repository name {shown}: {hostError}");
                return false;
            }

            registry = host;
            path = components[1..];
        }
        else
        {
            if (components.Length == 1 && AnchoredIdentifier().IsMatch(first))
            {
                error = Invalid($"invalid repository name {shown}: a 64-character hex string is an image ID, not a repository name");
                return false;
            }

            registry = mirrored ?? RegistryHost.DockerHub;
            path = components;
        }

        foreach (var component in path)
        {
            if (PathComponent().IsMatch(component))
            {
                continue;
            }

            error = HasUpper(component)
                ? Invalid($"invalid repository name {shown}: repository names must be lowercase ({Display.Quote(component)})")
                : Invalid($"invalid repository name {shown}: bad path component {Display.Quote(component)}; {Grammar}");
            return false;
        }

        var repository = string.Join('/', path);
        if (registry.IsDockerHub && path.Length == 1)
        {
            repository = "library/" + repository;
        }

        var length = registry.Value.Length + 1 + repository.Length;
        if (length > MaxNameLength)
        {
            error = Invalid($"invalid repository name {shown}: {registry}/{Display.Quote(repository)} is {length} characters; "
                + $"names are at most {MaxNameLength}");
            return false;
        }

        name = new ImageName(registry, repository);
        error = null;
        return true;
    }

    /// <summary>
    /// Whether a first path component names a registry rather than a Docker Hub namespace:
    /// it contains '.' or ':', or is exactly <c>localhost</c> (the distribution rule).
    /// </summary>
    public static bool NamesRegistry(string component) =>
        component.Contains('.', StringComparison.Ordinal) || component.Contains(':', StringComparison.Ordinal) || component == "localhost";

    private static OciError Invalid(string message) => new(OciErrorCodes.NameInvalid, message);

    /// <summary>Describes the first character that no valid name can contain, or returns null.</summary>
    private static string? FindBadCharacter(string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '%':
                    return "percent-encoded characters (such as %2F) are not allowed; separate path components with a literal '/'";
                case '\\':
                    return "backslashes are not allowed; separate path components with '/'";
                case < ' ' or '\u007f':
                    return "control characters are not allowed";
                case ' ':
                    return "spaces are not allowed";
                case > '\u007f':
                    return "only ASCII letters, digits, '.', '_', '-', '/' (and ':' or brackets in a registry host) are allowed";
                case '@':
                    return "'@' is not allowed; put a digest after /manifests/ or /blobs/, not in the name";
                default:
                    break;
            }
        }

        return null;
    }

    private static bool HasUpper(string s)
    {
        foreach (var c in s)
        {
            if (c is >= 'A' and <= 'Z')
            {
                return true;
            }
        }

        return false;
    }

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex PathComponent();

    [GeneratedRegex(@"^[a-f0-9]{64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex AnchoredIdentifier();
}
