using System.Net;

namespace Tlogistry.Tests.Conformance;

/// <summary>
/// The distribution-spec conformance suite's pull workflow (its specs named in PascalCase),
/// run against Distribution directly and through the proxy on the same content.
/// </summary>
[Trait("Category", "E2E")]
[Collection(ConformanceCollection.Name)]
public sealed class PullWorkflowTests(ConformanceFixture f)
{
    /// <summary>The suite's name for a manifest that does not exist: a tag no registry can hold.</summary>
    private const string NonexistentManifest = ".INVALID_MANIFEST_NAME";

    private static readonly string[] SpecErrorCodes =
    [
        "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID", "MANIFEST_BLOB_UNKNOWN",
        "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID", "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED",
        "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS",
    ];

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task HeadRequestToNonexistentBlobShouldResultIn404Response(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Head, "blobs/" + ConformanceContent.Missing("blob"));
        Assert.Equal(HttpStatusCode.NotFound, answer.Status);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task HeadRequestToExistingBlobShouldYield200(ConformanceTarget target)
    {
        var config = ConformanceContent.Digest(f.Content.Configs[0]);
        var answer = await f.SendAsync(target, HttpMethod.Head, "blobs/" + config);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.True(answer.ContentDigest is null || answer.ContentDigest == config, answer.ContentDigest);
        Assert.Equal(f.Content.Configs[0].Length, answer.ContentLength);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task GetNonexistentBlobShouldResultIn404Response(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Get, "blobs/" + ConformanceContent.Missing("blob"));
        Assert.Equal(HttpStatusCode.NotFound, answer.Status);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task GetRequestToExistingBlobUrlShouldYield200(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Get, "blobs/" + ConformanceContent.Digest(f.Content.Configs[0]));
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(f.Content.Configs[0], answer.Body);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task HeadRequestToNonexistentManifestShouldReturn404(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Head, "manifests/" + NonexistentManifest);
        Assert.Equal(HttpStatusCode.NotFound, answer.Status);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct, 0)]
    [InlineData(ConformanceTarget.Proxy, 0)]
    [InlineData(ConformanceTarget.Direct, 1)]
    [InlineData(ConformanceTarget.Proxy, 1)]
    public async Task HeadRequestToManifestPathDigestShouldYield200Response(ConformanceTarget target, int manifest)
    {
        var digest = ConformanceContent.Digest(f.Content.Manifests[manifest]);
        var answer = await f.SendAsync(target, HttpMethod.Head, "manifests/" + digest, AcceptManifest);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.True(answer.ContentDigest is null || answer.ContentDigest == digest, answer.ContentDigest);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task HeadRequestToManifestPathTagShouldYield200Response(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Head, "manifests/" + ConformanceContent.Tag, AcceptManifest);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var digest = ConformanceContent.Digest(f.Content.Manifests[0]);
        Assert.True(answer.ContentDigest is null || answer.ContentDigest == digest, answer.ContentDigest);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task GetNonexistentManifestShouldReturn404(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Get, "manifests/" + NonexistentManifest);
        Assert.Equal(HttpStatusCode.NotFound, answer.Status);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct, 0)]
    [InlineData(ConformanceTarget.Proxy, 0)]
    [InlineData(ConformanceTarget.Direct, 1)]
    [InlineData(ConformanceTarget.Proxy, 1)]
    public async Task GetRequestToManifestPathDigestShouldYield200Response(ConformanceTarget target, int manifest)
    {
        var answer = await f.SendAsync(target, HttpMethod.Get, "manifests/" + ConformanceContent.Digest(f.Content.Manifests[manifest]), AcceptManifest);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(f.Content.Manifests[manifest], answer.Body);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task GetRequestToManifestPathTagShouldYield200Response(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Get, "manifests/" + ConformanceContent.Tag, AcceptManifest);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(f.Content.Manifests[0], answer.Body);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task ErrorResponseBodyShouldContainOciConformingJsonMessage(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Get, "manifests/sha256:totallywrong");
        ConformanceFixture.SkipWhenDistributionFails(target, answer.Status == HttpStatusCode.InternalServerError, "answers 500 to a malformed digest; the proxy answers 400 DIGEST_INVALID (ProxyParityTests)");
        Assert.True(answer.Status is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{answer.Code}");
        if (answer.Status == HttpStatusCode.BadRequest)
        {
            Assert.Contains(answer.ErrorCode(), SpecErrorCodes);
        }
    }

    private static void AcceptManifest(HttpRequestMessage request) =>
        request.Headers.TryAddWithoutValidation("Accept", OciImageBuilder.ManifestMediaType);
}
