using System.Diagnostics.CodeAnalysis;

namespace Tlogistry.Oci;

/// <summary>
/// The registry a mirror request names in its <c>ns</c> query parameter. containerd, sending a
/// pull for <c>ghcr.io/org/app</c> to a mirror, writes the repository without its registry
/// (<c>/v2/org/app/manifests/v1?ns=ghcr.io</c>): without <c>ns</c> that path is Docker Hub's
/// <c>org/app</c>, another image. The value is read like a registry in a path
/// (<see cref="RegistryHost.TryParse"/>), so its aliases and hostile spellings fold or fail the
/// same way; a repeated or empty <c>ns</c> is refused rather than one of its values chosen.
/// Pure.
/// </summary>
internal static class MirrorNamespace
{
    /// <summary>The query parameter's name, as containerd sends it.</summary>
    public const string Parameter = "ns";

    /// <param name="values">every value of the parameter in the request, in order; none when absent</param>
    /// <param name="registry">the named registry, or null when the request names none</param>
    /// <param name="error">NAME_INVALID saying why the parameter is not one registry</param>
    public static bool TryRead(IReadOnlyList<string?> values, out RegistryHost? registry, [NotNullWhen(false)] out OciError? error)
    {
        ArgumentNullException.ThrowIfNull(values);
        registry = null;
        error = null;
        switch (values.Count)
        {
            case 0:
                return true;
            case > 1:
                error = Invalid($"the {Parameter} query parameter appears {values.Count} times; a mirror request names its registry once");
                return false;
        }

        if (string.IsNullOrEmpty(values[0]))
        {
            error = Invalid($"the {Parameter} query parameter is empty; it names the registry of the repository, e.g. {Parameter}=ghcr.io");
            return false;
        }

        if (!RegistryHost.TryParse(values[0], out registry, out var hostError))
        {
            error = Invalid($"the {Parameter} query parameter does not name a registry: {hostError}");
            return false;
        }

        // A dotless host without a port is a Docker Hub namespace in a path, so it is no registry
        // here either: the full name the request is proxied under would name Docker Hub.
        if (!ImageNameParser.NamesRegistry(registry.Value))
        {
            error = Invalid($"the {Parameter} query parameter does not name a registry: {Display.Quote(values[0]!)} has no '.' and no port and is not localhost");
            registry = null;
            return false;
        }

        return true;
    }

    /// <summary>The refusal of a path that names a registry other than <c>ns</c>.</summary>
    public static OciError Conflict(string proxiedName, RegistryHost inPath, RegistryHost inQuery) =>
        Invalid($"invalid repository name {Display.Quote(proxiedName)}: the path names registry {inPath} but {Parameter}={inQuery}; "
            + "a request names its registry once");

    private static OciError Invalid(string message) => new(OciErrorCodes.NameInvalid, message);
}
