namespace Tlogistry.Upstream.Guard;

/// <summary>
/// Which registries may be proxied at all: <c>--deny-registry</c> patterns refuse, and when
/// any <c>--allow-registry</c> pattern is given only matching registries are served.
/// Patterns match the canonical registry host (docker.io, ghcr.io, host:port); <c>*</c>
/// matches within one DNS label, so <c>*.gcr.io</c> matches <c>eu.gcr.io</c> only.
/// </summary>
internal sealed class RegistryPolicy
{
    private readonly string[] _allow;
    private readonly string[] _deny;

    public RegistryPolicy(IEnumerable<string> allow, IEnumerable<string> deny)
    {
        _allow = [.. allow.Select(Normalize)];
        _deny = [.. deny.Select(Normalize)];
    }

    /// <summary>Why a registry is refused, or null when it may be proxied.</summary>
    public string? Refusal(string registry)
    {
        registry = registry.ToLowerInvariant();
        if (_deny.FirstOrDefault(p => Matches(p, registry)) is { } denied)
        {
            return $"registry {registry} is denied here (pattern {denied})";
        }

        return _allow.Length > 0 && !_allow.Any(p => Matches(p, registry))
            ? $"registry {registry} is not in this proxy's allowed registries"
            : null;
    }

    /// <summary>Exact (wildcard-free) allow entries name hosts the operator chose on purpose.</summary>
    public bool IsExplicitlyAllowed(string registry) =>
        ExplicitlyAllowed.Contains(registry, StringComparer.OrdinalIgnoreCase);

    /// <summary>The wildcard-free allow entries: hosts the operator named one by one.</summary>
    public IEnumerable<string> ExplicitlyAllowed => _allow.Where(p => !p.Contains('*', StringComparison.Ordinal));

    internal static bool Matches(string pattern, string host)
    {
        var p = pattern.Split('.');
        var h = host.Split('.');
        return p.Length == h.Length && p.Zip(h).All(pair => Label(pair.First, pair.Second));
    }

    private static bool Label(string pattern, string label)
    {
        var star = pattern.IndexOf('*', StringComparison.Ordinal);
        if (star < 0)
        {
            return pattern == label;
        }

        var prefix = pattern[..star];
        var suffix = pattern[(star + 1)..];
        return label.Length >= prefix.Length + suffix.Length
            && label.StartsWith(prefix, StringComparison.Ordinal)
            && label.EndsWith(suffix, StringComparison.Ordinal);
    }

    private static string Normalize(string pattern)
    {
        var p = pattern.Trim().ToLowerInvariant();
        return p is "index.docker.io" or "registry-1.docker.io" ? "docker.io" : p;
    }
}
