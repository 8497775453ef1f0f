using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace Tlogistry.Tests.Support.Clients;

/// <summary>The parameters of a <c>WWW-Authenticate: Bearer realm="..",service="..",scope=".."</c> challenge.</summary>
public sealed partial record BearerChallenge(string Realm, string? Service, string? Scope)
{
    /// <summary>The first Bearer challenge of a response, or null when there is none.</summary>
    public static BearerChallenge? From(HttpResponseMessage response)
    {
        foreach (var header in response.Headers.WwwAuthenticate)
        {
            if (Parse(header) is { } challenge)
            {
                return challenge;
            }
        }

        return null;
    }

    public static BearerChallenge? Parse(AuthenticationHeaderValue header)
    {
        if (!string.Equals(header.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
        {
            return null;
        }

        var values = Parameter().Matches(header.Parameter)
            .ToDictionary(m => m.Groups["k"].Value.ToLowerInvariant(), m => m.Groups["v"].Value);
        return values.TryGetValue("realm", out var realm)
            ? new BearerChallenge(realm, values.GetValueOrDefault("service"), values.GetValueOrDefault("scope"))
            : null;
    }

    /// <summary>The token URL for this challenge: realm?service=..&amp;scope=..</summary>
    public Uri TokenUri()
    {
        var query = new List<string>();
        if (Service is not null)
        {
            query.Add("service=" + Uri.EscapeDataString(Service));
        }

        if (Scope is not null)
        {
            query.Add("scope=" + Uri.EscapeDataString(Scope));
        }

        return new Uri(query.Count == 0 ? Realm : $"{Realm}?{string.Join('&', query)}");
    }

    [GeneratedRegex(@"(?<k>[A-Za-z_]+)=""(?<v>[^""]*)""")]
    private static partial Regex Parameter();
}
