using Tlogistry.Upstream.Auth;

namespace Tlogistry.Tests.Upstream;

public sealed class WwwAuthenticateTests
{
    private const string DockerHub =
        "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/alpine:pull\"";

    private const string Ghcr =
        "Bearer realm=\"https://ghcr.io/token\",service=\"ghcr.io\",scope=\"repository:org/app:pull\"";

    /// <summary>
    /// header, number of challenges, and the Bearer realm, service and scope expected from
    /// TryGetBearer (realm null when it must fail).
    /// </summary>
    public static TheoryData<string?, int, string?, string?, string?> Cases => new()
    {
        { DockerHub, 1, "https://auth.docker.io/token", "registry.docker.io", "repository:library/alpine:pull" },
        { Ghcr, 1, "https://ghcr.io/token", "ghcr.io", "repository:org/app:pull" },
        { "Basic realm=\"Registry Realm\"", 1, null, null, null },
        { "Basic realm=\"x\", Bearer realm=\"https://a.example/token\",service=\"s\"", 2, "https://a.example/token", "s", null },
        { "Bearer realm=\"https://a.example/t\", error=\"insufficient_scope\", Basic realm=\"b\"", 2, "https://a.example/t", null, null },
        { "Bearer realm=\"https://a.example/t\",scope=\"x\\\"y\\\\z\"", 1, "https://a.example/t", null, "x\"y\\z" },
        { "Bearer service=\"s\"", 1, null, null, null },
        { "Bearer realm=https://auth.example.com/token,service=registry.example.com", 1, "https://auth.example.com/token", "registry.example.com", null },
        { "Bearer realm=\"https://a.example/t\",scope=repository:a/b:pull", 1, "https://a.example/t", null, "repository:a/b:pull" },
        { "bEaReR REALM=\"https://a.example/t\" , SERVICE=\"s\"", 1, "https://a.example/t", "s", null },
        { "Bearer realm = \"https://a.example/t\"", 1, "https://a.example/t", null, null },
        { ", , Bearer realm=\"https://a.example/t\" ,,", 1, "https://a.example/t", null, null },
        { "Bearer realm=\"https://a.example/t\",service=\"\"", 1, "https://a.example/t", null, null },
        { "Bearer realm=\"https://a.example/t\",scope=\"repository:a:pull repository:b:pull\"", 1, "https://a.example/t", null, "repository:a:pull repository:b:pull" },
        { "Bearer realm=\"http://127.0.0.1:5001/auth\",service=\"local\"", 1, "http://127.0.0.1:5001/auth", "local", null },
        { "Bearer realm=\"/token\"", 1, null, null, null },
        { "Bearer realm=\"token\"", 1, null, null, null },
        { "Bearer realm=\"ftp://a.example/t\"", 1, null, null, null },
        { "Bearer realm=\"file:///etc/passwd\"", 1, null, null, null },
        { "Bearer realm=\"https://user:pw@a.example/t\"", 1, null, null, null },
        { "Bearer abcdef", 1, null, null, null },
        { "Negotiate abc123==", 1, null, null, null },
        { "Negotiate", 1, null, null, null },
        { "Bearer realm=", 1, null, null, null }, // token68 "realm=", so no realm parameter
        { "Negotiate, NTLM", 2, null, null, null },
        { "Negotiate abc==, Bearer realm=\"https://a.example/t\"", 2, "https://a.example/t", null, null },

        // Malformed: no challenges at all.
        { "Bearer realm=\"https://a.example/t\", realm=\"https://evil.example/t\"", 0, null, null, null },
        { "Bearer realm=\"https://a.example/t\" service=\"s\"", 0, null, null, null },
        { "Bearer realm=\"https://a.example/t", 0, null, null, null },
        { "Bearer realm=\"a\u0001b\"", 0, null, null, null },
        { "Bearer realm=\"a\\", 0, null, null, null },
        { "Bearer realm=\"https://a.example/t\"junk", 0, null, null, null },
        { "Bearer=realm", 0, null, null, null },
        { "\"Bearer\" realm=\"x\"", 0, null, null, null },
        { "=====", 0, null, null, null },
        { "Bearer abc def", 0, null, null, null },
        { "\u00e9", 0, null, null, null },
        { "", 0, null, null, null },
        { "   ", 0, null, null, null },
        { null, 0, null, null, null },
        { "Bearer realm=\"https://a.example/t\",x=\"" + new string('a', 9000) + "\"", 0, null, null, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Parses(string? header, int count, string? realm, string? service, string? scope)
    {
        Assert.Equal(count, WwwAuthenticate.Parse(header).Count);

        var ok = WwwAuthenticate.TryGetBearer(header, out var bearer);
        Assert.Equal(realm is not null, ok);
        if (ok)
        {
            Assert.Equal(realm, bearer!.Realm.OriginalString);
            Assert.Equal(service, bearer.Service);
            Assert.Equal(scope, bearer.Scope);
        }
        else
        {
            Assert.Null(bearer);
        }
    }

    [Fact]
    public void TableHasAtLeastTwentyCases() => Assert.True(Cases.Count >= 20);

    [Fact]
    public void ParametersAreCaseInsensitiveAndUnescaped()
    {
        var challenge = Assert.Single(WwwAuthenticate.Parse("Basic Realm=\"a \\\"b\\\" c\", charset=UTF-8"));
        Assert.Equal("Basic", challenge.Scheme);
        Assert.True(challenge.IsScheme("BASIC"));
        Assert.Equal("a \"b\" c", challenge.Parameters["realm"]);
        Assert.Equal("UTF-8", challenge.Parameters["CHARSET"]);
        Assert.Null(challenge.Token68);
    }

    [Fact]
    public void MultipleChallengesKeepTheirOwnParameters()
    {
        var challenges = WwwAuthenticate.Parse(
            "Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"");
        Assert.Equal(2, challenges.Count);
        Assert.Equal("Newauth", challenges[0].Scheme);
        Assert.Equal(3, challenges[0].Parameters.Count);
        Assert.Equal("Login to \"apps\"", challenges[0].Parameters["title"]);
        Assert.Equal("1", challenges[0].Parameters["type"]);
        Assert.Equal("Basic", challenges[1].Scheme);
        Assert.Equal("simple", Assert.Single(challenges[1].Parameters).Value);
    }

    [Fact]
    public void Token68IsKept()
    {
        var challenges = WwwAuthenticate.Parse("Negotiate a+b/c==, Basic realm=\"r\"");
        Assert.Equal(2, challenges.Count);
        Assert.Equal("a+b/c==", challenges[0].Token68);
        Assert.Empty(challenges[0].Parameters);
    }

    [Fact]
    public void LengthLimitIsEightKibibytes()
    {
        var prefix = "Bearer realm=\"https://a.example/t\",x=\"";
        var atLimit = prefix + new string('a', WwwAuthenticate.MaxHeaderLength - prefix.Length - 1) + "\"";
        Assert.Equal(8192, atLimit.Length);
        Assert.Single(WwwAuthenticate.Parse(atLimit));
        Assert.Empty(WwwAuthenticate.Parse(atLimit + " "));
    }

    [Fact]
    public void DockerHubRealmIsAUri()
    {
        Assert.True(WwwAuthenticate.TryGetBearer(DockerHub, out var bearer));
        Assert.Equal(new Uri("https://auth.docker.io/token"), bearer.Realm);
        Assert.Equal("auth.docker.io", bearer.Realm.Host);
    }

    [Fact]
    public void ParametersCannotBeModifiedThroughTheInterface()
    {
        var challenge = Assert.Single(WwwAuthenticate.Parse(Ghcr));
        Assert.False(challenge.Parameters is IDictionary<string, string> { IsReadOnly: false });
    }
}
