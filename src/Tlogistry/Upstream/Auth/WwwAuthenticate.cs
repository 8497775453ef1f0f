using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Tlogistry.Upstream.Auth;

/// <summary>
/// Parses <c>WWW-Authenticate</c> header values (RFC 9110 section 11.6.1):
/// <code>
/// WWW-Authenticate = #challenge
/// challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
/// auth-param       = token BWS "=" BWS ( token / quoted-string )
/// </code>
/// Several challenges may share one header value, separated by commas; a comma-separated item
/// is a further parameter of the current challenge when it has the form <c>name=value</c>,
/// otherwise it starts the next challenge. Empty list items are skipped.
/// <para>
/// The parser is strict about structure and lenient in one place: an unquoted parameter value
/// may be any run of visible ASCII other than ',' and '"', because some registries send
/// unquoted URLs (<c>realm=https://...</c>), which are not tokens.
/// Any other syntax error, a repeated parameter name within a challenge, or a value longer
/// than <see cref="MaxHeaderLength"/> yields no challenges at all.
/// </para>
/// </summary>
internal static class WwwAuthenticate
{
    public const int MaxHeaderLength = 8 * 1024;

    public static IReadOnlyList<AuthChallenge> Parse(string? header)
    {
        if (string.IsNullOrEmpty(header) || header.Length > MaxHeaderLength)
        {
            return [];
        }

        var challenges = new List<AuthChallenge>();
        var pos = 0;
        while (true)
        {
            SkipListSeparators(header, ref pos);
            if (pos == header.Length)
            {
                return challenges;
            }

            if (!TryParseChallenge(header, ref pos, out var challenge))
            {
                return [];
            }

            challenges.Add(challenge);
        }
    }

    /// <summary>
    /// Finds the first <c>Bearer</c> challenge and returns its parameters. Fails when there is
    /// none, or when its realm is missing or not an absolute http or https URI with a host and no
    /// user information.
    /// </summary>
    public static bool TryGetBearer(string? header, [NotNullWhen(true)] out BearerChallenge? challenge)
    {
        challenge = null;
        var bearer = Parse(header).FirstOrDefault(c => c.IsScheme("Bearer"));
        if (bearer is null
            || !bearer.Parameters.TryGetValue("realm", out var realmText)
            || !Uri.TryCreate(realmText, UriKind.Absolute, out var realm)
            || (realm.Scheme != Uri.UriSchemeHttps && realm.Scheme != Uri.UriSchemeHttp)
            || string.IsNullOrEmpty(realm.Host)
            || !string.IsNullOrEmpty(realm.UserInfo))
        {
            return false;
        }

        challenge = new BearerChallenge(realm, NullIfEmpty(bearer, "service"), NullIfEmpty(bearer, "scope"));
        return true;
    }

    private static string? NullIfEmpty(AuthChallenge challenge, string name) =>
        challenge.Parameters.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    private static bool TryParseChallenge(string s, ref int pos, [NotNullWhen(true)] out AuthChallenge? challenge)
    {
        challenge = null;
        var scheme = ReadToken(s, ref pos);
        if (scheme.Length == 0)
        {
            return false;
        }

        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? token68 = null;
        if (pos < s.Length && s[pos] != ',')
        {
            if (!IsWhitespace(s[pos]))
            {
                return false;
            }

            SkipWhitespace(s, ref pos);
            if (pos < s.Length && s[pos] != ',')
            {
                if (StartsParameter(s, pos))
                {
                    if (!TryParseParameters(s, ref pos, parameters))
                    {
                        return false;
                    }
                }
                else
                {
                    token68 = ReadToken68(s, ref pos);
                    SkipWhitespace(s, ref pos);
                    if (token68.Length == 0 || (pos < s.Length && s[pos] != ','))
                    {
                        return false;
                    }
                }
            }
        }

        challenge = new AuthChallenge(scheme, parameters.AsReadOnly(), token68);
        return true;
    }

    /// <summary>
    /// Reads <c>name=value</c> items separated by commas, stopping at the end of input or
    /// before an item that is not a parameter (the next challenge).
    /// </summary>
    private static bool TryParseParameters(string s, ref int pos, Dictionary<string, string> parameters)
    {
        while (true)
        {
            var name = ReadToken(s, ref pos);
            SkipWhitespace(s, ref pos);
            if (name.Length == 0 || pos == s.Length || s[pos] != '=')
            {
                return false;
            }

            pos++;
            SkipWhitespace(s, ref pos);
            string? value;
            if (pos < s.Length && s[pos] == '"')
            {
                value = ReadQuotedString(s, ref pos);
            }
            else
            {
                value = ReadUnquotedValue(s, ref pos);
                if (value.Length == 0)
                {
                    value = null;
                }
            }

            if (value is null || !parameters.TryAdd(name, value))
            {
                return false;
            }

            SkipWhitespace(s, ref pos);
            if (pos == s.Length)
            {
                return true;
            }

            if (s[pos] != ',')
            {
                return false;
            }

            SkipListSeparators(s, ref pos);
            if (pos == s.Length || !StartsParameter(s, pos))
            {
                return true;
            }
        }
    }

    /// <summary>True when the text at <paramref name="pos"/> is <c>token BWS "=" BWS</c> followed by a value.</summary>
    private static bool StartsParameter(string s, int pos)
    {
        if (ReadToken(s, ref pos).Length == 0)
        {
            return false;
        }

        SkipWhitespace(s, ref pos);
        if (pos == s.Length || s[pos] != '=')
        {
            return false;
        }

        pos++;
        SkipWhitespace(s, ref pos);

        // "abc=" or "abc==" at the end of an item is a token68, not a parameter.
        return pos < s.Length && s[pos] is not ('=' or ',');
    }

    private static string ReadToken(string s, ref int pos)
    {
        var start = pos;
        while (pos < s.Length && IsTokenChar(s[pos]))
        {
            pos++;
        }

        return s[start..pos];
    }

    private static string ReadToken68(string s, ref int pos)
    {
        var start = pos;
        while (pos < s.Length && (char.IsAsciiLetterOrDigit(s[pos]) || s[pos] is '-' or '.' or '_' or '~' or '+' or '/'))
        {
            pos++;
        }

        if (pos == start)
        {
            return string.Empty;
        }

        while (pos < s.Length && s[pos] == '=')
        {
            pos++;
        }

        return s[start..pos];
    }

    private static string ReadUnquotedValue(string s, ref int pos)
    {
        var start = pos;
        while (pos < s.Length && s[pos] is > ' ' and < '\u007f' and not (',' or '"'))
        {
            pos++;
        }

        return s[start..pos];
    }

    /// <summary>Reads a quoted-string starting at the opening quote; null when malformed.</summary>
    private static string? ReadQuotedString(string s, ref int pos)
    {
        pos++; // opening quote
        var sb = new StringBuilder();
        while (pos < s.Length)
        {
            var c = s[pos++];
            if (c == '"')
            {
                return sb.ToString();
            }

            if (c == '\\')
            {
                if (pos == s.Length || !IsQuotedPairChar(s[pos]))
                {
                    return null;
                }

                sb.Append(s[pos++]);
            }
            else if (IsQuotedTextChar(c))
            {
                sb.Append(c);
            }
            else
            {
                return null;
            }
        }

        return null; // unterminated
    }

    private static void SkipWhitespace(string s, ref int pos)
    {
        while (pos < s.Length && IsWhitespace(s[pos]))
        {
            pos++;
        }
    }

    private static void SkipListSeparators(string s, ref int pos)
    {
        while (pos < s.Length && (IsWhitespace(s[pos]) || s[pos] == ','))
        {
            pos++;
        }
    }

    private static bool IsWhitespace(char c) => c is ' ' or '\t';

    // tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c)
        || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

    // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
    private static bool IsQuotedTextChar(char c) =>
        c is '\t' or ' ' or '!' or (>= '#' and <= '[') or (>= ']' and <= '~') or (>= '\u0080' and <= '\u00ff');

    // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
    private static bool IsQuotedPairChar(char c) =>
        c is '\t' or (>= ' ' and <= '~') or (>= '\u0080' and <= '\u00ff');
}
