using System.Text.RegularExpressions;
using Tlogistry.Oci;

namespace Tlogistry.Policy;

/// <summary>
/// Which tags are mutable and what a moved tag gets: (registry, tag) → <see cref="TagRule"/>.
/// The signing tools' tags (<see cref="SigningToolTags"/>) are mutable unless a registry sets
/// its own list.
/// There is a global setting of each kind (<c>--mutable-tag</c>, <c>--on-mismatch</c>) and
/// per-registry ones (<c>--policy REGISTRY:KEY=VALUE</c>); a registry's own setting of a kind
/// replaces the global one of that kind, and the kinds it leaves out come from the global
/// ones. Registries are keyed by their one name (<see cref="RegistryHost"/>), both in the
/// settings and in requests, so a rule holds for every spelling of its registry. Pure: no I/O.
/// </summary>
internal sealed class TagPolicy
{
    public const string MutableTagKey = "mutable-tag";
    public const string OnMismatchKey = "on-mismatch";

    /// <summary>
    /// The longest one pattern may take on one tag. Tags are at most 128 characters, so only a
    /// pattern that backtracks catastrophically gets near it; such a request fails rather than
    /// hang, and is neither served nor pinned.
    /// </summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(250);

    private readonly Scope _global;
    private readonly Dictionary<RegistryHost, Scope> _registries;

    private TagPolicy(Scope global, Dictionary<RegistryHost, Scope> registries)
    {
        _global = global;
        _registries = registries;
    }

    /// <summary>
    /// The tags signing tools move by design, mutable unless a registry sets its own list: the
    /// referrers fallback tag (<c>sha256-HEX</c>, an index that gains an entry with each
    /// signature or attestation) and cosign's <c>sha256-HEX.sig</c> and <c>.att</c> (each
    /// signing appends a layer). Pinned, the second signature of an image would refuse its
    /// verification; mutable, a verifier checks the signatures themselves, which is what they
    /// are for. cosign's <c>.sbom</c> tag holds an SBOM no one signs or verifies: the pin is
    /// its only integrity, so it stays pinned.
    /// </summary>
    public const string SigningToolTags = @"^sha256-[0-9a-f]{64}(\.(sig|att))?$";

    /// <summary>
    /// The built-in pattern, matched in linear time (non-backtracking) and so with no time limit:
    /// a limit measured by the clock can fire on a busy machine, and this pattern needs none.
    /// </summary>
    private static readonly Regex BuiltIn = new(SigningToolTags, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);

    /// <summary>Only the signing tools' tags are mutable and a moved tag is refused: the behaviour without any setting.</summary>
    public static TagPolicy Default { get; } = new(new Scope([BuiltIn], MismatchPolicy.Fail), new Dictionary<RegistryHost, Scope>());

    /// <summary>
    /// The rule for a tag of a registry. Throws <see cref="RegexMatchTimeoutException"/> when a
    /// pattern runs past <see cref="MatchTimeout"/>: the tag can then be judged neither way.
    /// </summary>
    public TagRule For(RegistryHost registry, string tag)
    {
        var own = _registries.Count == 0 ? null : _registries.GetValueOrDefault(registry);
        var patterns = own?.MutableTags ?? _global.MutableTags!;
        var mutable = false;
        foreach (var pattern in patterns)
        {
            if (pattern.IsMatch(tag))
            {
                mutable = true;
                break;
            }
        }

        return new TagRule(mutable, own?.OnMismatch ?? _global.OnMismatch!.Value);
    }

    /// <summary>One line per scope for the start-up log, e.g. <c>all registries: mutable tags ^latest$; on mismatch fail</c>.</summary>
    public IEnumerable<string> Describe()
    {
        yield return "all registries: " + Describe(_global);
        yield return "signing tools' tags " + SigningToolTags + ": mutable, except at a registry with its own mutable tags";
        foreach (var (registry, scope) in _registries.OrderBy(r => r.Key.Value, StringComparer.Ordinal))
        {
            yield return registry + ": " + Describe(scope);
        }
    }

    /// <summary>
    /// Reads the settings; a bad pattern, value or entry throws <see cref="FormatException"/>
    /// naming the flag and what is wrong, so the start stops with the reason.
    /// </summary>
    /// <param name="mutableTags">Global <c>--mutable-tag</c> patterns.</param>
    /// <param name="onMismatch">Global <c>--on-mismatch</c>: <c>fail</c> (also when null or empty) or <c>serve-pinned</c>.</param>
    /// <param name="policies">Per-registry <c>REGISTRY:mutable-tag=REGEX</c> and <c>REGISTRY:on-mismatch=VALUE</c> entries.</param>
    public static TagPolicy Parse(IEnumerable<string> mutableTags, string? onMismatch, IEnumerable<string> policies)
    {
        // The signing tools' tags come first; --mutable-tag adds to them, and a registry's own
        // list (empty included) replaces both there.
        var globalPatterns = new List<Regex> { BuiltIn };
        foreach (var pattern in mutableTags)
        {
            if (string.IsNullOrEmpty(pattern))
            {
                throw new FormatException("--mutable-tag needs a regular expression, e.g. ^latest$");
            }

            globalPatterns.Add(Compile(pattern, "--mutable-tag"));
        }

        var global = new Scope([.. globalPatterns], string.IsNullOrWhiteSpace(onMismatch) ? MismatchPolicy.Fail : ParseMismatch(onMismatch, "--on-mismatch"));
        var patterns = new Dictionary<RegistryHost, List<Regex>>();
        var mismatch = new Dictionary<RegistryHost, MismatchPolicy>();
        foreach (var entry in policies)
        {
            var (registry, key, value) = SplitEntry(entry);
            if (key == MutableTagKey)
            {
                var list = patterns.TryGetValue(registry, out var existing) ? existing : patterns[registry] = [];

                // Nothing after '=' says "no mutable tags here", whatever the global list holds.
                if (value.Length > 0)
                {
                    list.Add(Compile(value, $"--policy {registry}:{MutableTagKey}"));
                }
            }
            else
            {
                var policy = ParseMismatch(value, $"--policy {registry}:{OnMismatchKey}");
                if (mismatch.TryGetValue(registry, out var earlier) && earlier != policy)
                {
                    throw new FormatException($"--policy sets {OnMismatchKey} for {registry} twice, to {Name(earlier)} and to {Name(policy)}");
                }

                mismatch[registry] = policy;
            }
        }

        var scopes = new Dictionary<RegistryHost, Scope>();
        foreach (var registry in patterns.Keys.Union(mismatch.Keys))
        {
            scopes[registry] = new Scope(
                patterns.TryGetValue(registry, out var own) ? [.. own] : null,
                mismatch.TryGetValue(registry, out var policy) ? policy : null);
        }

        return new TagPolicy(global, scopes);
    }

    /// <summary><c>fail</c> or <c>serve-pinned</c>, any case; <paramref name="flag"/> names the setting in the error.</summary>
    public static MismatchPolicy ParseMismatch(string value, string flag) => value.Trim().ToLowerInvariant() switch
    {
        "fail" => MismatchPolicy.Fail,
        "serve-pinned" => MismatchPolicy.ServePinned,
        _ => throw new FormatException($"{flag} must be fail or serve-pinned, got \"{value}\""),
    };

    public static string Name(MismatchPolicy policy) => policy == MismatchPolicy.ServePinned ? "serve-pinned" : "fail";

    /// <summary>
    /// <c>REGISTRY:KEY=VALUE</c>: the value is everything after the first '=' (a pattern may hold
    /// '=' and ':'), the key everything after the last ':' before it (a registry may have a port).
    /// </summary>
    private static (RegistryHost Registry, string Key, string Value) SplitEntry(string entry)
    {
        var usage = $"--policy expects REGISTRY:{MutableTagKey}=REGEX or REGISTRY:{OnMismatchKey}=fail|serve-pinned, e.g. ghcr.io:{OnMismatchKey}=serve-pinned; got \"{entry}\"";
        var eq = entry.IndexOf('=', StringComparison.Ordinal);
        var colon = eq < 0 ? -1 : entry.LastIndexOf(':', eq);
        if (colon <= 0)
        {
            throw new FormatException(usage);
        }

        var key = entry[(colon + 1)..eq].Trim().ToLowerInvariant();
        if (key is not (MutableTagKey or OnMismatchKey))
        {
            throw new FormatException(usage);
        }

        // The host must be one an image name can start with, so that requests can ever reach it;
        // it is read by the same parser as names, so GHCR.io:443 and ghcr.io are one registry.
        var registry = entry[..colon].Trim();
        string? error = null;
        if (!ImageNameParser.NamesRegistry(registry) || !RegistryHost.TryParse(registry, out var host, out error))
        {
            throw new FormatException($"--policy \"{entry}\": \"{registry}\" is not a registry host (a name with a '.' or a port, or localhost, e.g. ghcr.io or localhost:5000); a policy applies to a whole registry{(error is null ? "" : "; " + error)}");
        }

        return (host, key, entry[(eq + 1)..]);
    }

    private static Regex Compile(string pattern, string flag)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"{flag} \"{pattern}\" is not a valid .NET regular expression: {e.Message}", e);
        }
    }

    private static string Describe(Scope scope)
    {
        var parts = new List<string>();
        if (scope.MutableTags is { } patterns)
        {
            // The built-in pattern has a line of its own.
            var own = patterns.Select(p => p.ToString()).Where(p => p != SigningToolTags).ToList();
            parts.Add("mutable tags " + (own.Count == 0 ? "none" : string.Join(" ", own)));
        }

        if (scope.OnMismatch is { } policy)
        {
            parts.Add("on mismatch " + Name(policy));
        }

        return string.Join("; ", parts);
    }

    /// <summary>The settings of one scope; null means "not set here, use the global one".</summary>
    private sealed record Scope(Regex[]? MutableTags, MismatchPolicy? OnMismatch);
}
