using System.Text;
using Tlogistry.Upstream.Auth;
using static Tlogistry.Fuzzing.PropertyViolation;

namespace Tlogistry.Fuzzing;

/// <summary>The WWW-Authenticate parser and the Bearer challenge it feeds to the token flow.</summary>
internal static class AuthTargets
{
    private static readonly string[] Tokens =
    [
        "Bearer ", "Basic ", "realm=", "service=", "scope=", "error=", "\"", "\\", "\\\"", ",", ", ", "=", "==", " ", "\t",
        "https://", "http://", "ftp://", "user:pw@", "[::1]", ":5001", "/token", "repository:library/alpine:pull", "\u00e9", "\u0080",
    ];

    private static readonly string[] Seeds =
    [
        "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/alpine:pull\"",
        "Basic realm=\"Registry Realm\"",
        "Basic realm=\"x\", Bearer realm=\"https://a.example/token\",service=\"s\"",
        "Bearer realm=\"https://a.example/t\", error=\"insufficient_scope\", Basic realm=\"b\"",
        "Bearer realm=\"https://a.example/t\",scope=\"x\\\"y\\\\z\"",
        "Bearer realm=https://auth.example.com/token,service=registry.example.com",
        "bEaReR REALM=\"https://a.example/t\" , SERVICE=\"s\"",
        "Bearer realm = \"https://a.example/t\"",
        ", , Bearer realm=\"https://a.example/t\" ,,",
        "Bearer realm=\"http://127.0.0.1:5001/auth\",service=\"local\"",
        "Bearer realm=\"http://[::1]:5001/auth\"",
        "Bearer realm=\"https://user:pw@a.example/t\"",
        "Bearer realm=\"file:///etc/passwd\"",
        "Negotiate abc123==, Bearer realm=\"https://a.example/t\"",
        "Negotiate, NTLM",
        "Bearer realm=",
        "Bearer realm=\"https://a.example/t\", realm=\"https://evil.example/t\"",
        "Bearer realm=\"a\\",
    ];

    public static readonly FuzzTarget WwwAuthenticateTarget = FuzzTarget.ForText(
        "www-authenticate", "WwwAuthenticate.Parse and TryGetBearer: challenges re-serialise and re-parse equal",
        Check, Seeds, Tokens);

    public static string Check(string header)
    {
        var challenges = WwwAuthenticate.Parse(header);
        if (header.Length > WwwAuthenticate.MaxHeaderLength)
        {
            Require(challenges.Count == 0, "a header over the length limit was parsed");
        }

        foreach (var challenge in challenges)
        {
            Require(challenge.Scheme.Length > 0 && challenge.Scheme.All(IsTokenChar), "a scheme is not a token");
            Require(challenge.Token68 is null || challenge.Parameters.Count == 0, "a challenge has both a token68 and parameters");
            Require(challenge.Parameters.Keys.All(k => k.Length > 0 && k.All(IsTokenChar)), "a parameter name is not a token");
        }

        // Writing the challenges back in canonical form (every value quoted) must read back the same.
        var written = Write(challenges);
        if (written.Length <= WwwAuthenticate.MaxHeaderLength)
        {
            Require(SameChallenges(challenges, WwwAuthenticate.Parse(written)), $"challenges do not survive re-serialisation: {written}");
        }

        var hasBearer = WwwAuthenticate.TryGetBearer(header, out var bearer);
        if (hasBearer)
        {
            Require(bearer is not null, "TryGetBearer succeeded without a challenge");
            var first = challenges.FirstOrDefault(c => c.IsScheme("Bearer"));
            Require(first is not null && first.Parameters.ContainsKey("realm"), "a Bearer challenge came from nowhere");
            Require(bearer.Realm.IsAbsoluteUri && bearer.Realm.Scheme is "http" or "https", "realm is not an absolute http(s) URI");
            Require(bearer.Realm.Host.Length > 0 && bearer.Realm.UserInfo.Length == 0, "realm has no host, or user information");
            Require(bearer.Service is null or { Length: > 0 } && bearer.Scope is null or { Length: > 0 }, "empty service or scope");
        }
        else
        {
            Require(bearer is null, "TryGetBearer failed but returned a challenge");
        }

        return $"{challenges.Count switch { 0 => "none", 1 => "one", _ => "several" }}{(hasBearer ? " bearer" : "")}";
    }

    private static string Write(IReadOnlyList<AuthChallenge> challenges)
    {
        var sb = new StringBuilder();
        foreach (var challenge in challenges)
        {
            if (sb.Length > 0)
            {
                sb.Append(", ");
            }

            sb.Append(challenge.Scheme);
            if (challenge.Token68 is not null)
            {
                sb.Append(' ').Append(challenge.Token68);
                continue;
            }

            var separator = " ";
            foreach (var (name, value) in challenge.Parameters)
            {
                sb.Append(separator).Append(name).Append("=\"");
                foreach (var c in value)
                {
                    sb.Append(c is '"' or '\\' ? "\\" : "").Append(c);
                }

                sb.Append('"');
                separator = ", ";
            }
        }

        return sb.ToString();
    }

    private static bool SameChallenges(IReadOnlyList<AuthChallenge> a, IReadOnlyList<AuthChallenge> b) =>
        a.Count == b.Count
        && a.Zip(b).All(p => p.First.Scheme == p.Second.Scheme
            && p.First.Token68 == p.Second.Token68
            && p.First.Parameters.Count == p.Second.Parameters.Count
            && p.First.Parameters.All(kv => p.Second.Parameters.TryGetValue(kv.Key, out var v) && v == kv.Value));

    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';
}
