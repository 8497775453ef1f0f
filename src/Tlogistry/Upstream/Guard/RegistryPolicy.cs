using Tlogistry.Oci;

namespace Tlogistry.Upstream.Guard;

/// <summary>
/// Which registries may be proxied at all: <c>--deny-registry</c> patterns refuse, and when
/// any <c>--allow-registry</c> pattern is given only matching registries are served.
/// Patterns are canonicalised as registry names are (<see cref="RegistryHost"/>: <c>GHCR.io:443</c>
/// means <c>ghcr.io</c>, <c>index.docker.io</c> means <c>docker.io</c>) and match the registry's one
/// name, so no spelling of a registry escapes them; <c>*</c> matches within one DNS label, so
/// <c>*.gcr.io</c> matches <c>eu.gcr.io</c> only. A pattern that is no registry host stops the start.
/// </summary>
internal sealed class RegistryPolicy
{
    private readonly string[] _allow;
    private readonly string[] _deny;
    private readonly RegistryHost[] _exact;

    public RegistryPolicy(IEnumerable<string> allow, IEnumerable<string> deny)
    {
        _allow = [.. allow.Select(p => Canonical(p, "--allow-registry"))];
        _deny = [.. deny.Select(p => Canonical(p, "--deny-registry"))];
        _exact = [.. _allow.Where(p => !p.Contains('*', StringComparison.Ordinal)).Select(p => RegistryHost.Parse(p, "--allow-registry"))];
    }

    /// <summary>Why a registry is refused, or null when it may be proxied.</summary>
    public string? Refusal(RegistryHost registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        if (_deny.FirstOrDefault(p => Matches(p, registry.Value)) is { } denied)
        {
            return $"registry {registry} is denied here (pattern {denied})";
        }

        return _allow.Length > 0 && !_allow.Any(p => Matches(p, registry.Value))
            ? $"registry {registry} is not in this proxy's allowed registries"
            : null;
    }

    /// <summary>Exact (wildcard-free) allow entries name hosts the operator chose on purpose.</summary>
    public bool IsExplicitlyAllowed(RegistryHost registry) => ExplicitlyAllowed.Contains(registry);

    /// <summary>The wildcard-free allow entries: registries the operator named one by one.</summary>
    public IEnumerable<RegistryHost> ExplicitlyAllowed => _exact;

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

    /// <summary>
    /// A pattern in the form registry names take. Each '*' stands in as a plain label character
    /// while the pattern goes through the one host parser, so patterns and names share its rules.
    /// </summary>
    private static string Canonical(string pattern, string flag)
    {
        const string Star = "wildcard0";
        var text = pattern.Trim();
        if (text.Contains(Star, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"{flag} {Display.Quote(text)}: not a registry host pattern");
        }

        return RegistryHost.Parse(text.Replace("*", Star, StringComparison.Ordinal), $"{flag} {Display.Quote(text)}")
            .Value.Replace(Star, "*", StringComparison.Ordinal);
    }
}
