using Tlogistry.Oci;
using Tlogistry.Registry;
using Tlogistry.Registry.Routing;

namespace Tlogistry.Tests.Registry;

/// <summary>Which step answers each route, and the route label each request is counted under.</summary>
public sealed class RouteDispatchTests
{
    private const string Sha256 = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";
    private static readonly string Sha512 = "sha512:" + new string('a', 128);

    [Theory]
    [InlineData("GET", "/v2/", false, nameof(RegistryHandler.Base))]
    [InlineData("HEAD", "/v2", false, nameof(RegistryHandler.Base))]
    [InlineData("GET", "/v2/alpine/manifests/3.16.0", false, nameof(RegistryHandler.ManifestByTag))]
    [InlineData("HEAD", "/v2/ghcr.io/org/app/manifests/v1", true, nameof(RegistryHandler.ManifestByTag))]
    [InlineData("GET", "/v2/alpine/manifests/" + Sha256, false, nameof(RegistryHandler.ManifestByDigest))]
    [InlineData("HEAD", "/v2/alpine/manifests/" + Sha256, false, nameof(RegistryHandler.ManifestByDigest))]
    [InlineData("GET", "/v2/alpine/manifests/" + Sha256, true, nameof(RegistryHandler.PassThrough))]
    [InlineData("GET", "/v2/alpine/blobs/" + Sha256, false, nameof(RegistryHandler.PassThrough))]
    [InlineData("GET", "/v2/alpine/blobs/" + Sha256, true, nameof(RegistryHandler.PassThrough))]
    [InlineData("GET", "/v2/alpine/tags/list", false, nameof(RegistryHandler.PassThrough))]
    [InlineData("GET", "/v2/alpine/referrers/" + Sha256, false, nameof(RegistryHandler.PassThrough))]
    [InlineData("PUT", "/v2/alpine/manifests/3.16.0", false, nameof(RegistryHandler.Refused))]
    [InlineData("POST", "/v2/alpine/blobs/uploads/", false, nameof(RegistryHandler.Refused))]
    [InlineData("GET", "/v2/alpine/manifests/Bad%2Ftag", false, nameof(RegistryHandler.Refused))]
    [InlineData("GET", "/.env", false, nameof(RegistryHandler.Refused))]
    public void EachRouteGoesToItsStep(string method, string path, bool range, string expected) =>
        Assert.Equal(expected, RouteDispatch.For(RegistryRoute.Parse(method, path), range).ToString());

    [Fact]
    public void AManifestByAnotherAlgorithmIsPassedThroughNotHashedHere() =>
        Assert.Equal(RegistryHandler.PassThrough, RouteDispatch.For(RegistryRoute.Parse("GET", "/v2/alpine/manifests/" + Sha512), rangeRequested: false));

    [Theory]
    [InlineData("GET", "/v2/", RequestOutcome.Base)]
    [InlineData("GET", "/v2/alpine/manifests/3.16.0", RequestOutcome.ManifestByTag)]
    [InlineData("GET", "/v2/alpine/manifests/" + Sha256, RequestOutcome.ManifestByDigest)]
    [InlineData("GET", "/v2/alpine/blobs/" + Sha256, RequestOutcome.Blob)]
    [InlineData("GET", "/v2/alpine/tags/list", RequestOutcome.Tags)]
    [InlineData("GET", "/v2/alpine/referrers/" + Sha256, RequestOutcome.Referrers)]
    [InlineData("DELETE", "/v2/alpine/manifests/3.16.0", RequestOutcome.Other)]
    [InlineData("GET", "/favicon.ico", RequestOutcome.Other)]
    public void EachRouteHasItsLabel(string method, string path, string label) =>
        Assert.Equal(label, RouteLabels.For(RegistryRoute.Parse(method, path)));

    [Fact]
    public void AManifestByDigestIsLabelledSoWhateverItsAlgorithm() =>
        Assert.Equal(RequestOutcome.ManifestByDigest, RouteLabels.For(RegistryRoute.Parse("GET", "/v2/alpine/manifests/" + Sha512)));
}
