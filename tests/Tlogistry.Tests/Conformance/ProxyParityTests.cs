using System.Net;
using System.Net.Http.Headers;

namespace Tlogistry.Tests.Conformance;

/// <summary>
/// Every read the conformance workflows make, sent to Distribution and to the proxy in front of
/// it: the answers must be the same (status; for a success the bytes, type, length, digest and
/// range; for an error the OCI code where both send one). The differences the proxy makes on
/// purpose (docs/HOW-IT-WORKS.md, "Conformance") each have their own test here, and are the
/// only ones.
/// </summary>
[Trait("Category", "E2E")]
[Collection(ConformanceCollection.Name)]
public sealed class ProxyParityTests(ConformanceFixture f)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>(method, path under the repository, Accept, Range) of every read the workflows make.</summary>
    public static TheoryData<string, string, string?, string?> Reads()
    {
        var content = ConformanceContent.Build();
        var manifest = ConformanceContent.Digest(content.Manifests[0]);
        var layer = "blobs/" + ConformanceContent.Digest(content.Layer);
        var data = new TheoryData<string, string, string?, string?>();
        foreach (var method in new[] { "GET", "HEAD" })
        {
            data.Add(method, "blobs/" + ConformanceContent.Digest(content.Configs[0]), null, null);
            data.Add(method, layer, null, null);
            data.Add(method, "blobs/" + ConformanceContent.Digest([]), null, null);
            data.Add(method, "blobs/" + ConformanceContent.Missing("blob"), null, null);
            data.Add(method, "manifests/" + manifest, OciImageBuilder.ManifestMediaType, null);
            data.Add(method, "manifests/" + ConformanceContent.Digest(content.Manifests[1]), OciImageBuilder.ManifestMediaType, null);
            data.Add(method, "manifests/" + ConformanceContent.Tag, OciImageBuilder.ManifestMediaType, null);
            data.Add(method, "manifests/" + ConformanceContent.DiscoveryTags[2], OciImageBuilder.ManifestMediaType, null);
            data.Add(method, "manifests/index", OciImageBuilder.IndexMediaType, null);
            data.Add(method, "manifests/.INVALID_MANIFEST_NAME", null, null);
            data.Add(method, "manifests/missing-tag", OciImageBuilder.ManifestMediaType, null);
            data.Add(method, "manifests/" + ConformanceContent.Missing("manifest"), OciImageBuilder.ManifestMediaType, null);
            data.Add(method, "tags/list", null, null);
            foreach (var range in new[] { "bytes=500-1499", "bytes=500-", "bytes=-500", "bytes=2000-5000", "bytes=500-0", "bytes=5000-10000" })
            {
                data.Add(method, layer, null, range);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task TheProxyAnswersEveryReadAsDistributionDoes(string method, string path, string? accept, string? range)
    {
        void Configure(HttpRequestMessage request)
        {
            if (accept is not null)
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
            }

            if (range is not null)
            {
                request.Headers.TryAddWithoutValidation("Range", range);
            }
        }

        var direct = await f.SendAsync(ConformanceTarget.Direct, new HttpMethod(method), path, Configure);
        var proxied = await f.SendAsync(ConformanceTarget.Proxy, new HttpMethod(method), path, Configure);

        Assert.Equal(direct.Status, proxied.Status);

        // Distribution's 416 breaks off under its Content-Length; the proxy's answer never does.
        Assert.False(proxied.BodyBroken);
        if ((int)direct.Status is >= 200 and < 300)
        {
            Assert.Equal(direct.Body, proxied.Body);
            Assert.Equal(direct.ContentLength, proxied.ContentLength);
            Assert.Equal(direct.ContentDigest, proxied.ContentDigest);
            Assert.Equal(direct.ContentRange, proxied.ContentRange);

            Assert.Equal(direct.ContentType, proxied.ContentType);
        }
        else if (method == "GET" && direct.ErrorCode() is { } code)
        {
            Assert.Equal(code, proxied.ErrorCode());
        }
    }

    /// <summary>By design: the proxy is read-only, so every write is 405 UNSUPPORTED with Allow, where Distribution accepts it.</summary>
    [Theory]
    [InlineData("POST", "blobs/uploads/")]
    [InlineData("PUT", "manifests/pushed")]
    [InlineData("DELETE", "manifests/MANIFEST")]
    [InlineData("DELETE", "blobs/LAYER")]
    [InlineData("PATCH", "blobs/uploads/session")]
    public async Task WritesAreRefusedWith405ByDesign(string method, string path)
    {
        path = path.Replace("MANIFEST", ConformanceContent.Digest(f.Content.Manifests[0]), StringComparison.Ordinal)
            .Replace("LAYER", ConformanceContent.Digest(f.Content.Layer), StringComparison.Ordinal);
        using var request = new HttpRequestMessage(new HttpMethod(method), ConformanceFixture.Name(ConformanceTarget.Proxy) + "/" + path)
        {
            Content = new ByteArrayContent(f.Content.Manifests[0]),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(OciImageBuilder.ManifestMediaType);
        using var response = await f.Client(ConformanceTarget.Proxy).SendAsync(request, Ct);
        var answer = await ConformanceAnswer.ReadAsync(response);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, answer.Status);
        Assert.Equal("UNSUPPORTED", answer.ErrorCode());
        Assert.Equal(["GET", "HEAD"], response.Content.Headers.Allow.Order(StringComparer.Ordinal));

        // Nothing reached upstream: what the write named is as it was.
        var still = await f.SendAsync(ConformanceTarget.Direct, HttpMethod.Get, "manifests/" + ConformanceContent.Digest(f.Content.Manifests[0]), AcceptManifest);
        Assert.Equal(HttpStatusCode.OK, still.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await f.SendAsync(ConformanceTarget.Direct, HttpMethod.Get, "manifests/pushed")).Status);
    }

    /// <summary>By design: a malformed digest is the client's error, 400 DIGEST_INVALID, before upstream is asked.</summary>
    [Theory]
    [InlineData("manifests/sha256:totallywrong")]
    [InlineData("manifests/sha256:baddigeststring")]
    [InlineData("blobs/sha256:1234")]
    public async Task AMalformedDigestIsA400DigestInvalidByDesign(string path)
    {
        var answer = await f.SendAsync(ConformanceTarget.Proxy, HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("DIGEST_INVALID", answer.ErrorCode());
    }

    /// <summary>By design: a tag that moved upstream after the proxy pinned it is refused (409 DENIED), where Distribution serves the new manifest.</summary>
    [Fact]
    public async Task AMovedTagIsRefusedByDesign()
    {
        var push = new RegistryPush(f.Client(ConformanceTarget.Direct));
        const string tag = "moving";
        var before = await push.PutManifestAsync(ConformanceContent.Repository, tag, f.Content.Manifests[3], OciImageBuilder.ManifestMediaType, Ct);
        var first = await f.SendAsync(ConformanceTarget.Proxy, HttpMethod.Get, "manifests/" + tag, AcceptManifest);
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(before, first.ContentDigest);

        var after = await push.PutManifestAsync(ConformanceContent.Repository, tag, f.Content.Manifests[1], OciImageBuilder.ManifestMediaType, Ct);
        var direct = await f.SendAsync(ConformanceTarget.Direct, HttpMethod.Get, "manifests/" + tag, AcceptManifest);
        Assert.Equal(HttpStatusCode.OK, direct.Status);
        Assert.Equal(after, direct.ContentDigest);

        var refused = await f.SendAsync(ConformanceTarget.Proxy, HttpMethod.Get, "manifests/" + tag, AcceptManifest);
        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Equal("DENIED", refused.ErrorCode());
        var message = System.Text.Encoding.UTF8.GetString(refused.Body);
        Assert.Contains(before, message, StringComparison.Ordinal);
        Assert.Contains(after, message, StringComparison.Ordinal);
    }

    private static void AcceptManifest(HttpRequestMessage request) =>
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciImageBuilder.ManifestMediaType));
}
