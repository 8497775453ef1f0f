using System.Text;
using System.Text.Json;

namespace Tlogistry.Signing.Keyless;

/// <summary>
/// The few claims of an OIDC identity token that signing needs, read from its payload without
/// checking its signature: Fulcio checks the token, we only need to know whom it names.
/// </summary>
internal sealed record JwtClaims(string Issuer, string Subject, string? Email, DateTimeOffset? Expires, IReadOnlyList<string> Audiences)
{
    /// <summary>
    /// What the proof of possession signs: Fulcio's principal name, which is the email address
    /// for email-type issuers (the token carries an <c>email</c> claim) and the subject otherwise.
    /// </summary>
    public string ProofSubject => Email ?? Subject;

    /// <exception cref="FormatException">The token is not a JWT with a JSON payload naming iss and sub.</exception>
    public static JwtClaims Parse(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var parts = token.Trim().Split('.');
        if (parts.Length != 3 || parts[1].Length == 0)
        {
            throw new FormatException("identity token is not a JWT (header.payload.signature)");
        }

        try
        {
            using var doc = JsonDocument.Parse(Base64UrlDecode(parts[1]));
            var root = doc.RootElement;
            var iss = String(root, "iss") ?? throw new FormatException("identity token has no iss claim");
            var sub = String(root, "sub") ?? throw new FormatException("identity token has no sub claim");
            var email = String(root, "email");
            DateTimeOffset? exp = root.TryGetProperty("exp", out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null;
            return new JwtClaims(iss, sub, string.IsNullOrEmpty(email) ? null : email, exp, ReadAudiences(root));
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            throw new FormatException("identity token payload is not JSON: " + e.Message, e);
        }
    }

    /// <summary>RFC 7519: <c>aud</c> is one string or an array of them.</summary>
    private static List<string> ReadAudiences(JsonElement root)
    {
        if (!root.TryGetProperty("aud", out var aud))
        {
            return [];
        }

        return aud.ValueKind switch
        {
            JsonValueKind.String => [aud.GetString()!],
            JsonValueKind.Array => [.. aud.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!)],
            _ => [],
        };
    }

    private static string? String(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static byte[] Base64UrlDecode(string s)
    {
        var b = new StringBuilder(s.Trim().TrimEnd('=')).Replace('-', '+').Replace('_', '/');
        b.Append('=', (4 - (b.Length % 4)) % 4);
        return Convert.FromBase64String(b.ToString());
    }
}
