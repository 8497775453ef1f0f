using Tlogistry.Oci;

namespace Tlogistry.Tests.Oci;

/// <summary>
/// containerd's <c>ns</c> parameter names the registry of a mirror request's path, on every route,
/// spelled and refused like a registry in a path.
/// </summary>
public sealed class MirrorNamespaceTests
{
    private const string D = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>path, ns values (| separated; "-" for none), expected registry/repository or an error code.</summary>
    public static TheoryData<string, string, string> Cases => new()
    {
        // The registry comes from ns, on every route.
        { "/v2/org/app/manifests/v1", "ghcr.io", "ghcr.io/org/app" },
        { $"/v2/org/app/blobs/{D}", "ghcr.io", "ghcr.io/org/app" },
        { "/v2/org/app/tags/list", "ghcr.io", "ghcr.io/org/app" },
        { $"/v2/org/app/referrers/{D}", "ghcr.io", "ghcr.io/org/app" },
        { "/v2/org/app/manifests/v1", "-", "docker.io/org/app" },

        // Docker Hub's aliases are Docker Hub; library/ is added only there.
        { "/v2/library/alpine/manifests/3.16", "docker.io", "docker.io/library/alpine" },
        { "/v2/alpine/manifests/3.16", "index.docker.io", "docker.io/library/alpine" },
        { "/v2/alpine/manifests/3.16", "registry-1.docker.io", "docker.io/library/alpine" },
        { "/v2/alpine/manifests/3.16", "REGISTRY-1.Docker.IO:443", "docker.io/library/alpine" },
        { "/v2/alpine/manifests/3.16", "ghcr.io", "ghcr.io/alpine" },
        { "/v2/app/manifests/1", "registry.test:5000", "registry.test:5000/app" },
        { "/v2/app/manifests/1", "GHCR.IO:443", "ghcr.io/app" },

        // With ns the path is the repository: a dotted first component is a namespace.
        { "/v2/foo.bar/manifests/1", "ghcr.io", "ghcr.io/foo.bar" },

        // A path that keeps its registry (override_path) must name the same one.
        { "/v2/ghcr.io/org/app/manifests/v1", "ghcr.io", "ghcr.io/org/app" },
        { "/v2/docker.io/library/alpine/manifests/3", "index.docker.io", "docker.io/library/alpine" },
        { "/v2/ghcr.io/org/app/manifests/v1", "docker.io", OciErrorCodes.NameInvalid },
        { "/v2/docker.io/org/app/manifests/v1", "ghcr.io", OciErrorCodes.NameInvalid },
        { "/v2/ghcr.io:5000/org/app/manifests/v1", "ghcr.io", OciErrorCodes.NameInvalid },
        { "/v2/foo.bar/x/manifests/1", "ghcr.io", OciErrorCodes.NameInvalid },

        // Repeated, empty and hostile spellings.
        { "/v2/org/app/manifests/v1", "ghcr.io|ghcr.io", OciErrorCodes.NameInvalid },
        { "/v2/org/app/manifests/v1", "ghcr.io|docker.io", OciErrorCodes.NameInvalid },
        { "/v2/org/app/manifests/v1", "", OciErrorCodes.NameInvalid },
        { "/v2/org/app/manifests/v1", "ghcr.io.", OciErrorCodes.NameInvalid },
        { "/v2/org/app/manifests/v1", "ghcr.io:0443", OciErrorCodes.NameInvalid },
        { "/v2/org/app/manifests/v1", "2130706433:5000", OciErrorCodes.NameInvalid },
        { "/v2/org/app/manifests/v1", "127.1:5000", OciErrorCodes.NameInvalid },
        { "/v2/org/app/manifests/v1", "[::ffff:127.0.0.1]:5000", OciErrorCodes.NameInvalid },
        { "/v2/org/app/manifests/v1", "ghcr.io/evil", OciErrorCodes.NameInvalid },
        { "/v2/org/app/manifests/v1", "ghcr.io@evil", OciErrorCodes.NameInvalid },
        { "/v2/org/app/manifests/v1", "gh cr.io", OciErrorCodes.NameInvalid },

        // A dotless host without a port names a Docker Hub namespace in a path, so no registry here.
        { "/v2/org/app/manifests/v1", "a", OciErrorCodes.NameInvalid },
        { "/v2/org/app/manifests/v1", "registry", OciErrorCodes.NameInvalid },
        { "/v2/org/app/manifests/v1", "registry:5000", "registry:5000/org/app" },
        { "/v2/org/app/manifests/v1", "localhost", "localhost/org/app" },
        { "/v2/org/app/manifests/v1", "ghcr.io\n", OciErrorCodes.NameInvalid },

        // A bad path is still refused for what it is.
        { "/v2/Org/app/manifests/v1", "ghcr.io", OciErrorCodes.NameInvalid },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void NsNamesTheRegistryOfThePath(string path, string ns, string expected)
    {
        string[] values = ns == "-" ? [] : ns.Split('|');
        var route = RegistryRoute.Parse("GET", path, values);
        if (expected == OciErrorCodes.NameInvalid)
        {
            Assert.True(route.IsError, $"{path}?ns={ns} routed to {route.Name}");
            Assert.Equal(400, route.StatusCode);
            Assert.Equal(expected, route.Error.Code);
            return;
        }

        Assert.False(route.IsError, route.Error?.Message);
        Assert.Equal(expected, route.Name!.ToString());
    }

    [Fact]
    public void AMirroredRouteIsProxiedUnderItsFullName()
    {
        var route = RegistryRoute.Parse("GET", "/v2/org/app/tags/list", ["ghcr.io"]);
        Assert.Equal("ghcr.io/org/app", route.ProxiedName);

        // The full name reads back to the same repository without the parameter.
        var again = RegistryRoute.Parse("GET", "/v2/" + route.ProxiedName + "/tags/list");
        Assert.Equal(route.Name, again.Name);

        var hub = RegistryRoute.Parse("GET", "/v2/alpine/tags/list", ["docker.io"]);
        Assert.Equal(RegistryRoute.Parse("GET", "/v2/" + hub.ProxiedName + "/tags/list").Name, hub.Name);
    }

    [Fact]
    public void TheRefusalNamesBothRegistries()
    {
        var route = RegistryRoute.Parse("GET", "/v2/ghcr.io/org/app/manifests/v1", ["index.docker.io"]);
        Assert.Contains("ghcr.io", route.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("ns=docker.io", route.Error.Message, StringComparison.Ordinal);

        var repeated = RegistryRoute.Parse("GET", "/v2/org/app/manifests/v1", ["ghcr.io", "docker.io"]);
        Assert.Contains("2 times", repeated.Error!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v2/")]
    [InlineData("/v2")]
    public void TheBaseRouteIgnoresNs(string path) =>
        Assert.Equal(RouteKind.Base, RegistryRoute.Parse("GET", path, ["not a host"]).Kind);

    [Fact]
    public void WritesAreRefusedAsWritesWhateverNsSays() =>
        Assert.Equal(405, RegistryRoute.Parse("PUT", "/v2/org/app/manifests/v1", ["bad host"]).StatusCode);
}
