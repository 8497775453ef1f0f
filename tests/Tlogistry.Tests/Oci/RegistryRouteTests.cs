using Tlogistry.Oci;

namespace Tlogistry.Tests.Oci;

public sealed class RegistryRouteTests
{
    private const string Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private const string D = "sha256:" + Hex;

    /// <summary>
    /// method, raw path, kind, status, error code (error kinds), name as registry/repository,
    /// and tag or digest (where the route has one).
    /// </summary>
    public static TheoryData<string, string, string, int, string?, string?, string?> Cases => new()
    {
        // Base.
        { "GET", "/v2/", "Base", 200, null, null, null },
        { "GET", "/v2", "Base", 200, null, null, null },
        { "HEAD", "/v2/", "Base", 200, null, null, null },
        { "POST", "/v2/", "WriteAttempt", 405, "UNSUPPORTED", null, null },

        // Manifests.
        { "GET", "/v2/alpine/manifests/latest", "Manifest", 200, null, "docker.io/library/alpine", "latest" },
        { "HEAD", "/v2/alpine/manifests/3.16.0", "Manifest", 200, null, "docker.io/library/alpine", "3.16.0" },
        { "GET", "/v2/a/b/manifests/latest", "Manifest", 200, null, "docker.io/a/b", "latest" },
        { "GET", "/v2/manifests/manifests/x", "Manifest", 200, null, "docker.io/library/manifests", "x" },
        { "GET", "/v2/a/manifests/b/manifests/c", "Manifest", 200, null, "docker.io/a/manifests/b", "c" },
        { "GET", "/v2/a/blobs/uploads/manifests/x", "Manifest", 200, null, "docker.io/a/blobs/uploads", "x" },
        { "GET", "/v2/ghcr.io/org/app/manifests/v1", "Manifest", 200, null, "ghcr.io/org/app", "v1" },
        { "GET", "/v2/localhost:5000/foo/manifests/dev", "Manifest", 200, null, "localhost:5000/foo", "dev" },
        { "GET", "/v2/alpine/manifests/" + D, "Manifest", 200, null, "docker.io/library/alpine", D },
        { "GET", "/v2/alpine/manifests/sha256:BAD", "Invalid", 400, "DIGEST_INVALID", null, null },
        { "GET", "/v2/alpine/manifests/-bad", "Invalid", 404, "MANIFEST_UNKNOWN", null, null },
        { "GET", "/v2/alpine/manifests/", "Invalid", 404, "MANIFEST_UNKNOWN", null, null },
        { "HEAD", "/v2/alpine/manifests/.INVALID_MANIFEST_NAME", "Invalid", 404, "MANIFEST_UNKNOWN", null, null },

        // Blobs.
        { "GET", "/v2/alpine/blobs/" + D, "Blob", 200, null, "docker.io/library/alpine", D },
        { "HEAD", "/v2/ghcr.io/org/app/blobs/" + D, "Blob", 200, null, "ghcr.io/org/app", D },
        { "GET", "/v2/alpine/blobs/latest", "Invalid", 400, "DIGEST_INVALID", null, null },

        // Tags and referrers.
        { "GET", "/v2/alpine/tags/list", "TagsList", 200, null, "docker.io/library/alpine", null },
        { "HEAD", "/v2/alpine/tags/list", "TagsList", 200, null, "docker.io/library/alpine", null },
        { "GET", "/v2/alpine/tags/list?n=10&last=a", "TagsList", 200, null, "docker.io/library/alpine", null },
        { "GET", "/v2/alpine/referrers/" + D, "Referrers", 200, null, "docker.io/library/alpine", D },
        { "GET", "/v2/alpine/referrers/" + D + "?artifactType=application%2Fexample", "Referrers", 200, null, "docker.io/library/alpine", D },
        { "GET", "/v2/alpine/referrers/latest", "Invalid", 400, "DIGEST_INVALID", null, null },

        // Writes and other methods.
        { "PUT", "/v2/alpine/manifests/latest", "WriteAttempt", 405, "UNSUPPORTED", null, null },
        { "DELETE", "/v2/alpine/manifests/" + D, "WriteAttempt", 405, "UNSUPPORTED", null, null },
        { "DELETE", "/v2/alpine/blobs/" + D, "WriteAttempt", 405, "UNSUPPORTED", null, null },
        { "POST", "/v2/alpine/blobs/uploads/", "WriteAttempt", 405, "UNSUPPORTED", null, null },
        { "POST", "/v2/alpine/blobs/uploads/?mount=" + D + "&from=other", "WriteAttempt", 405, "UNSUPPORTED", null, null },
        { "POST", "/v2/alpine/blobs/uploads", "WriteAttempt", 405, "UNSUPPORTED", null, null },
        { "PATCH", "/v2/alpine/blobs/uploads/5f0c7e0e-uuid", "WriteAttempt", 405, "UNSUPPORTED", null, null },
        { "PUT", "/v2/alpine/blobs/uploads/5f0c7e0e-uuid?digest=" + D, "WriteAttempt", 405, "UNSUPPORTED", null, null },
        { "GET", "/v2/alpine/blobs/uploads/5f0c7e0e-uuid", "WriteAttempt", 405, "UNSUPPORTED", null, null },
        { "POST", "/v2/ghcr.io/org/app/blobs/uploads/", "WriteAttempt", 405, "UNSUPPORTED", null, null },
        { "POST", "/v2/alpine/tags/list", "WriteAttempt", 405, "UNSUPPORTED", null, null },
        { "DELETE", "/v2/alpine/referrers/" + D, "WriteAttempt", 405, "UNSUPPORTED", null, null },
        { "OPTIONS", "/v2/alpine/manifests/latest", "WriteAttempt", 405, "UNSUPPORTED", null, null },
        { "get", "/v2/alpine/manifests/latest", "WriteAttempt", 405, "UNSUPPORTED", null, null },
        { "PUT", "/v2/Bad%2FName/manifests/latest", "WriteAttempt", 405, "UNSUPPORTED", null, null },

        // Unknown routes.
        { "GET", "/", "UnknownRoute", 404, "UNSUPPORTED", null, null },
        { "GET", "", "UnknownRoute", 404, "UNSUPPORTED", null, null },
        { "GET", "/v1/alpine/manifests/latest", "UnknownRoute", 404, "UNSUPPORTED", null, null },
        { "GET", "/v2x", "UnknownRoute", 404, "UNSUPPORTED", null, null },
        { "GET", "/V2/alpine/manifests/latest", "UnknownRoute", 404, "UNSUPPORTED", null, null },
        { "GET", "/v2/_catalog", "UnknownRoute", 404, "UNSUPPORTED", null, null },
        { "GET", "/v2/alpine", "UnknownRoute", 404, "UNSUPPORTED", null, null },
        { "GET", "/v2/alpine/manifests", "UnknownRoute", 404, "UNSUPPORTED", null, null },
        { "GET", "/v2/alpine/manifests/latest/", "UnknownRoute", 404, "UNSUPPORTED", null, null },
        { "GET", "/v2/alpine/tags/other", "UnknownRoute", 404, "UNSUPPORTED", null, null },
        { "GET", "/v2/manifests/latest", "UnknownRoute", 404, "UNSUPPORTED", null, null },
        { "GET", "/v2/tags/list", "UnknownRoute", 404, "UNSUPPORTED", null, null },
        { "GET", "/v2/alpine/manifests%2Flatest", "UnknownRoute", 404, "UNSUPPORTED", null, null },
        { "POST", "/v2/alpine/whatever", "UnknownRoute", 404, "UNSUPPORTED", null, null },

        // Invalid names.
        { "GET", "/v2/a%2Fb/manifests/latest", "Invalid", 400, "NAME_INVALID", null, null },
        { "GET", "/v2/a%2fb/manifests/latest", "Invalid", 400, "NAME_INVALID", null, null },
        { "GET", "/v2/ghcr.io%2Forg%2Fapp/blobs/" + D, "Invalid", 400, "NAME_INVALID", null, null },
        { "GET", "/v2/Alpine/manifests/latest", "Invalid", 400, "NAME_INVALID", null, null },
        { "GET", "/v2/a/../b/manifests/latest", "Invalid", 400, "NAME_INVALID", null, null },
        { "GET", "/v2//alpine/manifests/latest", "Invalid", 400, "NAME_INVALID", null, null },
        { "GET", "/v2/ghcr.io/manifests/latest", "Invalid", 400, "NAME_INVALID", null, null },
        { "GET", "/v2/a\\b/tags/list", "Invalid", 400, "NAME_INVALID", null, null },
        { "GET", "/v2/" + new string('a', 300) + "/tags/list", "Invalid", 400, "NAME_INVALID", null, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Routes(string method, string path, string kindName, int status, string? code, string? name, string? reference)
    {
        var kind = Enum.Parse<RouteKind>(kindName);
        var match = RegistryRoute.Parse(method, path);

        Assert.Equal(kind, match.Kind);
        Assert.Equal(status, match.StatusCode);
        Assert.Equal(code, match.Error?.Code);
        Assert.Equal(code is not null, match.IsError);
        Assert.Equal(name, match.Name?.ToString());

        switch (kind)
        {
            case RouteKind.Manifest:
                Assert.NotNull(match.Reference);
                Assert.Equal(reference, match.Reference.ManifestReference);
                Assert.Equal(match.Name, match.Reference.Name);
                break;
            case RouteKind.Blob or RouteKind.Referrers:
                Assert.Equal(reference, match.Digest?.ToString());
                Assert.Null(match.Reference);
                break;
            default:
                Assert.Null(match.Reference);
                Assert.Null(match.Digest);
                break;
        }
    }

    [Fact]
    public void TableHasAtLeastThirtyCases() => Assert.True(Cases.Count >= 30);

    [Fact]
    public void WriteAttemptSaysReadOnly()
    {
        var match = RegistryRoute.Parse("PUT", "/v2/alpine/manifests/latest");
        Assert.Contains("read-only", match.Error!.Message, StringComparison.Ordinal);
        Assert.Equal("GET, HEAD", RegistryRoute.AllowedMethods);
    }

    [Fact]
    public void EncodedSlashMessageIsActionable()
    {
        var match = RegistryRoute.Parse("GET", "/v2/a%2Fb/manifests/latest");
        Assert.Contains("%2F", match.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DigestManifestCarriesDigest()
    {
        var match = RegistryRoute.Parse("GET", "/v2/alpine/manifests/" + D);
        Assert.Equal(Hex, match.Digest?.Hex);
        Assert.Equal("index.docker.io/library/alpine@" + D, match.Reference!.Canonical);
    }

    [Theory]
    [InlineData("/v2/alpine/tags/list", "alpine")]
    [InlineData("/v2/library/alpine/blobs/" + D, "library/alpine")]
    [InlineData("/v2/ghcr.io/org/app/manifests/v1", "ghcr.io/org/app")]
    [InlineData("/v2/a/manifests/b/tags/list", "a/manifests/b")]
    [InlineData("/v2/docker.io/x/referrers/" + D, "docker.io/x")]
    public void RoutableMatchesKeepTheNameAsWritten(string path, string proxiedName) =>
        Assert.Equal(proxiedName, RegistryRoute.Parse("GET", path).ProxiedName);
}
