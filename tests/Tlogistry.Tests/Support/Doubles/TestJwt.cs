using System.Text;
using System.Text.Json.Nodes;

namespace Tlogistry.Tests.Support.Doubles;

/// <summary>Mints unsigned-in-spirit test JWTs: a real header and payload, a placeholder signature.</summary>
internal static class TestJwt
{
    public static string Mint(string issuer, string subject, string? email = null, DateTimeOffset? expires = null, JsonObject? extra = null, JsonNode? audience = null)
    {
        var claims = new JsonObject
        {
            ["iss"] = issuer,
            ["sub"] = subject,
            ["aud"] = audience ?? "sigstore",
            ["exp"] = (expires ?? DateTimeOffset.UtcNow.AddMinutes(10)).ToUnixTimeSeconds(),
        };
        foreach (var (name, value) in extra ?? [])
        {
            claims[name] = value?.DeepClone();
        }

        if (email is not null)
        {
            claims["email"] = email;
            claims["email_verified"] = true;
        }

        return Encode("{\"alg\":\"RS256\",\"typ\":\"JWT\"}") + "." + Encode(claims.ToJsonString()) + "." + Encode("not-a-signature");
    }

    private static string Encode(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
