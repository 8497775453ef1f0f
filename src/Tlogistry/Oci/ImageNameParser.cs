using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Tlogistry.Oci;

/// <summary>
/// Turns the <c>&lt;name&gt;</c> of a proxied request (<c>/v2/&lt;name&gt;/...</c>) into an
/// <see cref="ImageName"/>.
/// <list type="bullet">
/// <item>The first path component names a registry host when the name has more than one
/// component and that first component contains '.' or ':' or is exactly <c>localhost</c>;
/// otherwise the name is a Docker Hub repository.</item>
/// <item><c>docker.io</c>, <c>index.docker.io</c> and <c>registry-1.docker.io</c> are all Docker Hub,
/// canonically <c>docker.io</c>; a one-component Docker Hub repository gets <c>library/</c>.</item>
/// <item>Hosts follow the distribution reference grammar (<c>domain-name[:port]</c> or a bracketed
/// IPv6 address) and are lowercased; the repository path must match the grammar exactly, so it
/// must be lowercase.</item>
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
        var looksLikeHost = first.Contains('.', StringComparison.Ordinal)
            || first.Contains(':', StringComparison.Ordinal)
            || first == "localhost";

        string registry;
        string[] path;
        if (looksLikeHost && components.Length == 1)
        {
            error = TryNormalizeHost(first, out _, out var hostError)
                ? Invalid($"invalid repository name {shown}: this names a registry host but no repository; "
                    + $"use {first}/<repository>, or library/{first} for a Docker Hub image")
                : Invalid($"invalid repository name {shown}: {hostError}");
            return false;
        }

        if (looksLikeHost)
        {
            if (!TryNormalizeHost(first, out var host, out var hostError))
            {
                error = Invalid($"invalid repository name {shown}: {hostError}");
                return false;
            }

            registry = CanonicalRegistry(host);
            path = components[1..];
        }
        else
        {
            if (components.Length == 1 && AnchoredIdentifier().IsMatch(first))
            {
                error = Invalid($"invalid repository name {shown}: a 64-character hex string is an image ID, not a repository name");
                return false;
            }

            registry = ImageName.DockerHubRegistry;
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
        if (registry == ImageName.DockerHubRegistry && path.Length == 1)
        {
            repository = "library/" + repository;
        }

        var length = registry.Length + 1 + repository.Length;
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

    /// <summary>A registry host as ledger keys and upstream mappings name it: lowercase, Docker Hub's aliases as docker.io.</summary>
    public static string CanonicalRegistry(string host)
    {
        var lower = host.Trim().ToLowerInvariant();
        return lower is "docker.io" or "index.docker.io" or "registry-1.docker.io" ? ImageName.DockerHubRegistry : lower;
    }

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

    /// <summary>
    /// Validates <c>host[:port]</c> (host a domain name, IPv4 address, or bracketed IPv6 address)
    /// and returns it lowercased.
    /// </summary>
    private static bool TryNormalizeHost(string value, [NotNullWhen(true)] out string? host, [NotNullWhen(false)] out string? error)
    {
        host = null;
        string hostPart;
        string? port;
        if (value.StartsWith('['))
        {
            var close = value.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"registry host {Display.Quote(value)} has an unterminated '[' (IPv6 addresses are written [address]:port)";
                return false;
            }

            hostPart = value[..(close + 1)];
            var rest = value[(close + 1)..];
            if (rest.Length > 0 && rest[0] != ':')
            {
                error = $"registry host {Display.Quote(value)}: only ':port' may follow a bracketed IPv6 address";
                return false;
            }

            port = rest.Length > 0 ? rest[1..] : null;
            var inner = hostPart[1..^1];
            if (!Ipv6Literal().IsMatch(inner)
                || !IPAddress.TryParse(inner, out var address)
                || address.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = $"registry host {Display.Quote(value)}: {Display.Quote(inner)} is not an IPv6 address";
                return false;
            }
        }
        else
        {
            var colon = value.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0 && value.IndexOf(':', colon + 1) >= 0)
            {
                error = $"registry host {Display.Quote(value)} has more than one ':'; write IPv6 addresses in brackets, e.g. [::1]:5000";
                return false;
            }

            hostPart = colon >= 0 ? value[..colon] : value;
            port = colon >= 0 ? value[(colon + 1)..] : null;
            foreach (var label in hostPart.Split('.'))
            {
                if (!DomainComponent().IsMatch(label))
                {
                    error = $"registry host {Display.Quote(value)} is not a valid host name: each dot-separated label "
                        + "is letters, digits and '-', and starts and ends with a letter or digit";
                    return false;
                }
            }
        }

        if (port is not null && !IsPort(port))
        {
            error = $"registry host {Display.Quote(value)}: the port must be a number from 1 to 65535";
            return false;
        }

        host = value.ToLowerInvariant();
        error = null;
        return true;
    }

    private static bool IsPort(string port)
    {
        if (port.Length is 0 or > 5)
        {
            return false;
        }

        foreach (var c in port)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        var number = int.Parse(port, NumberStyles.None, CultureInfo.InvariantCulture);
        return number is >= 1 and <= 65535;
    }

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex PathComponent();

    [GeneratedRegex(@"^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])\z", RegexOptions.CultureInvariant)]
    private static partial Regex DomainComponent();

    [GeneratedRegex(@"^[a-fA-F0-9:]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Ipv6Literal();

    [GeneratedRegex(@"^[a-f0-9]{64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex AnchoredIdentifier();
}
