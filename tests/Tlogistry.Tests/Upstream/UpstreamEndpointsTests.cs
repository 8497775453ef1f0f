using Tlogistry.Oci;
using Tlogistry.Upstream;
using static Tlogistry.Tests.Support.Data.Registries;

namespace Tlogistry.Tests.Upstream;

/// <summary>A mapping gives a registry an address, never a second name.</summary>
public sealed class UpstreamEndpointsTests
{
    private static UpstreamEndpoints With(params (string Key, string Url)[] map)
    {
        var options = new UpstreamOptions();
        foreach (var (key, url) in map)
        {
            options.Map[key] = url;
        }

        return new UpstreamEndpoints(options);
    }

    [Theory]
    [InlineData("docker.io")]
    [InlineData("DOCKER.IO:443")]
    [InlineData("index.docker.io")]
    [InlineData("registry-1.docker.io:443")]
    public void AMappingKeyIsReadAsTheRegistryItNames(string key)
    {
        var endpoints = With((key, "https://127.0.0.1:5443"));
        Assert.True(ImageNameParser.TryParse("alpine", out var hub, out _));
        Assert.Equal(new Uri("https://127.0.0.1:5443"), endpoints.BaseFor(hub));
        Assert.Equal([RegistryHost.DockerHub], endpoints.Mapped);
        Assert.Equal("docker.io", UpstreamEndpoints.ParseFlag(key + "=https://127.0.0.1:5443").Key);
    }

    [Theory]
    [InlineData("127.0.0.1:5443", "docker.io")]
    [InlineData("localhost:5000", "registry.test:5000")]
    [InlineData("[2001:db8::7]:5000", "mirror.test")]
    [InlineData("mirror.example", "quay.io")]
    public void TheAuthorityAMappingPointsAtIsNotARegistryName(string address, string owner)
    {
        var endpoints = With(
            ("docker.io", "https://127.0.0.1:5443"),
            ("registry.test:5000", "http://localhost:5000"),
            ("mirror.test", "http://[2001:db8::7]:5000/prefix"),
            ("quay.io", "https://mirror.example/quay"));
        var refusal = endpoints.Refusal(Named(address));
        Assert.NotNull(refusal);
        Assert.Contains($"upstream address of {owner}", refusal, StringComparison.Ordinal);

        // The mapped names themselves, and the same hosts on other ports, are registries.
        Assert.Null(endpoints.Refusal(Named(owner)));
        Assert.Null(endpoints.Refusal(Named("127.0.0.1:5444")));
        Assert.Null(endpoints.Refusal(Named("localhost:5001")));
        Assert.Null(endpoints.Refusal(Named("mirror.example:8443")));
    }

    [Fact]
    public void AMappingNamedAtItsOwnAddressStaysARegistry()
    {
        var endpoints = With(("localhost:5000", "http://localhost:5000"));
        Assert.Null(endpoints.Refusal(Named("localhost:5000")));
    }

    [Theory]
    [InlineData("docker.io", "https://a.test", "index.docker.io", "https://b.test", "maps docker.io twice")]
    public void OneRegistryMappedTwiceStopsTheStart(string key1, string url1, string key2, string url2, string reason)
    {
        var e = Assert.Throws<FormatException>(() => With((key1, url1), (key2, url2)));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("docker.io.=https://a.test", "write docker.io")]
    [InlineData("2130706433:5000=https://a.test", "write 127.0.0.1")]
    [InlineData("ghcr.io:0443=https://a.test", "leading zeros")]
    public void AMappingKeyInAnotherSpellingStopsTheStart(string flag, string reason)
    {
        var e = Assert.Throws<FormatException>(() => UpstreamEndpoints.ParseFlag(flag));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }
}
