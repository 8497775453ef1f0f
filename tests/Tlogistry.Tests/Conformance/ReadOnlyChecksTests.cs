using System.Net;
using System.Net.Http.Headers;

namespace Tlogistry.Tests.Conformance;

/// <summary>
/// The current conformance suite's checks that apply to a read-only registry (its read-only
/// mode reads preloaded tags, manifests and blobs; range requests and the error checks read
/// too), against Distribution directly and through the proxy. Each is named after the suite's
/// test.
/// </summary>
[Trait("Category", "E2E")]
[Collection(ConformanceCollection.Name)]
public sealed class ReadOnlyChecksTests(ConformanceFixture f)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task Ping(ConformanceTarget target)
    {
        using var response = await f.Client(target).GetAsync("/v2/", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task BlobHead(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Head, "blobs/" + ConformanceContent.Digest(f.Content.Layer));
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(f.Content.Layer.Length, answer.ContentLength);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task BlobGet(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Get, "blobs/" + ConformanceContent.Digest(f.Content.Layer));
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(f.Content.Layer, answer.Body);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task BlobGetMissing(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Get, "blobs/" + ConformanceContent.Missing("get-missing"));
        Assert.Equal(HttpStatusCode.NotFound, answer.Status);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task EmptyBlob(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Get, "blobs/" + ConformanceContent.Digest([]));
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Empty(answer.Body);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task ManifestHeadByDigest(ConformanceTarget target)
    {
        var digest = ConformanceContent.Digest(f.Content.Manifests[3]);
        var answer = await f.SendAsync(target, HttpMethod.Head, "manifests/" + digest, Accept);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(f.Content.Manifests[3].Length, answer.ContentLength);
        Assert.Equal(digest, answer.ContentDigest);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task ManifestHeadByTag(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Head, "manifests/" + ConformanceContent.DiscoveryTags[0], Accept);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(ConformanceContent.Digest(f.Content.Manifests[2]), answer.ContentDigest);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task ManifestByDigest(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Get, "manifests/" + ConformanceContent.Digest(f.Content.Manifests[3]), Accept);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(OciImageBuilder.ManifestMediaType, answer.ContentType);
        Assert.Equal(f.Content.Manifests[3], answer.Body);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task ManifestByTag(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Get, "manifests/" + ConformanceContent.DiscoveryTags[1], Accept);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(f.Content.Manifests[2], answer.Body);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task IndexByTag(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Get, "manifests/index", r => r.Headers.TryAddWithoutValidation("Accept", OciImageBuilder.IndexMediaType));
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(OciImageBuilder.IndexMediaType, answer.ContentType);
        Assert.Equal(f.Content.Index, answer.Body);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task MissingManifestByDigest(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Get, "manifests/" + ConformanceContent.Missing("manifest"), Accept);
        Assert.Equal(HttpStatusCode.NotFound, answer.Status);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task MissingManifestByTag(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Get, "manifests/missing-" + Guid.NewGuid().ToString("N")[..20], Accept);
        Assert.Equal(HttpStatusCode.NotFound, answer.Status);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task InvalidDigestFormatManifestGet(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Get, "manifests/sha256:baddigeststring", Accept);
        ConformanceFixture.SkipWhenDistributionFails(target, answer.Status == HttpStatusCode.InternalServerError, "answers 500 to a malformed digest; the proxy answers 400 DIGEST_INVALID (ProxyParityTests)");
        Assert.True(answer.Status is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{answer.Code}");
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task TagList(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Get, "tags/list");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        using var doc = answer.Json();
        var tags = doc.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).ToList();
        Assert.All(ConformanceContent.DiscoveryTags, t => Assert.Contains(t, tags));
    }

    /// <summary>The suite's range requests on a 2048-byte blob: (range, first byte, length), or a 416 where both are null.</summary>
    public static TheoryData<ConformanceTarget, string, int?, int?> Ranges()
    {
        var data = new TheoryData<ConformanceTarget, string, int?, int?>();
        foreach (var target in Enum.GetValues<ConformanceTarget>())
        {
            data.Add(target, "bytes=500-1499", 500, 1000);
            data.Add(target, "bytes=500-", 500, 1548);
            data.Add(target, "bytes=-500", 1548, 500);
            data.Add(target, "bytes=2000-5000", 2000, 48);
            data.Add(target, "bytes=500-0", null, null);
            data.Add(target, "bytes=5000-10000", null, null);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Ranges))]
    public async Task RangeRequests(ConformanceTarget target, string range, int? start, int? length)
    {
        var blob = f.Content.Layer;
        var answer = await f.SendAsync(target, HttpMethod.Get, "blobs/" + ConformanceContent.Digest(blob), r => r.Headers.TryAddWithoutValidation("Range", range));
        if (start is int first && length is int count)
        {
            Assert.Equal(HttpStatusCode.PartialContent, answer.Status);
            Assert.Equal(blob.AsSpan(first, count).ToArray(), answer.Body);
            Assert.Equal(count, answer.ContentLength);
            Assert.Contains(answer.ContentRange, new[] { $"bytes {first}-{first + count - 1}/{blob.Length}", $"bytes {first}-{first + count - 1}/*" });
        }
        else
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, answer.Status);
        }
    }

    private static void Accept(HttpRequestMessage request) =>
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciImageBuilder.ManifestMediaType));
}
