namespace Tlogistry.Signing.Keyless;

/// <summary>The kinds of identity token source a <c>--token-source</c> setting names.</summary>
internal enum TokenSourceKind
{
    Gcp,
    File,
    GitHubActions,
    Environment,
}

/// <summary>
/// A parsed <c>--token-source</c> setting: <c>gcp</c>, <c>file=PATH</c>, <c>github-actions</c>
/// or <c>env=NAME</c>. Parsing is pure; <see cref="Create"/> builds the source.
/// </summary>
internal sealed record TokenSourceSetting(TokenSourceKind Kind, string? Argument)
{
    public const string Syntax = "gcp, file=PATH, github-actions or env=NAME";

    /// <exception cref="FormatException">The setting is none of the accepted forms.</exception>
    public static TokenSourceSetting Parse(string setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        var s = setting.Trim();
        var eq = s.IndexOf('=', StringComparison.Ordinal);
        var name = (eq < 0 ? s : s[..eq]).Trim().ToLowerInvariant();
        var argument = eq < 0 ? null : s[(eq + 1)..].Trim();
        return (name, argument) switch
        {
            ("gcp", null) => new(TokenSourceKind.Gcp, null),
            ("github-actions", null) => new(TokenSourceKind.GitHubActions, null),
            ("file", { Length: > 0 }) => new(TokenSourceKind.File, argument),
            ("env", { Length: > 0 }) => new(TokenSourceKind.Environment, argument),
            _ => throw new FormatException($"token source \"{setting}\" is not one of {Syntax}"),
        };
    }

    public IIdentityTokenSource Create(HttpClient http, Microsoft.Extensions.Logging.ILogger? logger = null) => Kind switch
    {
        TokenSourceKind.Gcp => new GcpMetadataTokenSource(http),
        TokenSourceKind.File => new FileTokenSource(Argument!, logger),
        TokenSourceKind.GitHubActions => new GitHubActionsTokenSource(http),
        TokenSourceKind.Environment => new EnvironmentTokenSource(Argument!),
        _ => throw new InvalidOperationException("unknown token source kind " + Kind),
    };
}
