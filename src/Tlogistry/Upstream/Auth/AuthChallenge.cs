namespace Tlogistry.Upstream.Auth;

/// <summary>
/// One challenge of a <c>WWW-Authenticate</c> header. <see cref="Scheme"/> keeps the spelling
/// of the header and compares case-insensitively through <see cref="IsScheme"/>;
/// <see cref="Parameters"/> has case-insensitive names and unescaped values.
/// <see cref="Token68"/> is set instead of parameters for challenges of the form
/// <c>Scheme token68</c>.
/// </summary>
internal sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters, string? Token68 = null)
{
    public bool IsScheme(string scheme) => string.Equals(Scheme, scheme, StringComparison.OrdinalIgnoreCase);
}
