using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Tlogistry.Tests.Conformance;

/// <summary>
/// The conformance suite's content-discovery workflow: tag listing (sorted, <c>n</c>,
/// <c>last</c>) and the referrers API, against Distribution directly and through the proxy.
/// What Distribution 2.8 does not implement (the referrers API; <c>n</c> and <c>last</c>) is
/// skipped for both targets with the reason, and checked against a scripted OCI 1.1 upstream
/// in <see cref="ReferrersAndPaginationTests"/>.
/// </summary>
[Trait("Category", "E2E")]
[Collection(ConformanceCollection.Name)]
public sealed class ContentDiscoveryWorkflowTests(ConformanceFixture f)
{
    private const int NumResults = 2;

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task GetRequestToListTagsShouldYield200ResponseAndBeInSortedOrder(ConformanceTarget target)
    {
        var answer = await f.SendAsync(target, HttpMethod.Get, "tags/list");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var tags = Tags(answer);
        var direct = Tags(await f.SendAsync(ConformanceTarget.Direct, HttpMethod.Get, "tags/list"));
        if (!direct.SequenceEqual(direct.Order(StringComparer.Ordinal)))
        {
            // Neither target can pass; the proxy passes the list on as upstream sent it (ProxyParityTests).
            Assert.Equal(direct, tags);
            Assert.Skip("this Distribution lists tags in storage order, not sorted; the proxy passes the list on as it is");
        }

        Assert.Equal(tags.Order(StringComparer.Ordinal), tags);
        Assert.Superset(ConformanceContent.DiscoveryTags.Append(ConformanceContent.Tag).ToHashSet(), tags.ToHashSet());
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task GetNumberOfTagsShouldBeLimitableByNQueryParameter(ConformanceTarget target)
    {
        await SkipUnlessUpstreamPagesAsync();
        var answer = await f.SendAsync(target, HttpMethod.Get, "tags/list?n=" + NumResults.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(NumResults, Tags(answer).Count);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task GetStartOfTagIsSetByLastQueryParameter(ConformanceTarget target)
    {
        await SkipUnlessUpstreamPagesAsync();
        var first = Tags(await f.SendAsync(target, HttpMethod.Get, "tags/list?n=" + NumResults.ToString(CultureInfo.InvariantCulture)));
        var last = first[^1];
        var answer = await f.SendAsync(target, HttpMethod.Get, $"tags/list?n={NumResults}&last={last}");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var next = Tags(answer);
        Assert.True(next.Count <= NumResults);
        Assert.DoesNotContain(last, next);
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task GetRequestToNonexistentBlobShouldResultInEmpty200Response(ConformanceTarget target)
    {
        await SkipUnlessUpstreamHasReferrersAsync();
        var answer = await f.SendAsync(target, HttpMethod.Get, "referrers/" + ConformanceContent.Missing("subject"));
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(OciImageBuilder.IndexMediaType, answer.ContentType);
        Assert.Empty(Manifests(answer));
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task GetRequestToExistingBlobShouldYield200(ConformanceTarget target)
    {
        await SkipUnlessUpstreamHasReferrersAsync();
        var answer = await f.SendAsync(target, HttpMethod.Get, "referrers/" + ConformanceContent.Digest(f.Content.Manifests[4]));
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(OciImageBuilder.IndexMediaType, answer.ContentType);
        Assert.Equal(f.Content.Referrers.Select(ConformanceContent.Digest).Order(), Manifests(answer).Select(m => m.GetProperty("digest").GetString()).Order());
    }

    [Theory]
    [InlineData(ConformanceTarget.Direct)]
    [InlineData(ConformanceTarget.Proxy)]
    public async Task GetRequestToExistingBlobWithFilterShouldYield200(ConformanceTarget target)
    {
        await SkipUnlessUpstreamHasReferrersAsync();
        var answer = await f.SendAsync(target, HttpMethod.Get, $"referrers/{ConformanceContent.Digest(f.Content.Manifests[4])}?artifactType={Uri.EscapeDataString(ConformanceContent.ArtifactTypeA)}");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var types = Manifests(answer).Select(m => m.GetProperty("artifactType").GetString()).ToList();
        if (answer.FiltersApplied is not null)
        {
            Assert.Equal("artifactType", answer.FiltersApplied);
            Assert.All(types, t => Assert.Equal(ConformanceContent.ArtifactTypeA, t));
        }
        else
        {
            Assert.Equal(f.Content.Referrers.Count, types.Count);
        }
    }

    private static List<string> Tags(ConformanceAnswer answer)
    {
        using var doc = answer.Json();
        return doc.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToList();
    }

    private static List<JsonElement> Manifests(ConformanceAnswer answer)
    {
        using var doc = answer.Json();
        return doc.RootElement.GetProperty("manifests").EnumerateArray().Select(m => m.Clone()).ToList();
    }

    /// <summary>Skips when Distribution, the upstream, has no referrers API: then neither target can pass, and neither differs.</summary>
    private async Task SkipUnlessUpstreamHasReferrersAsync()
    {
        var direct = await f.SendAsync(ConformanceTarget.Direct, HttpMethod.Get, "referrers/" + ConformanceContent.Missing("probe"));
        if (direct.Status == HttpStatusCode.NotFound)
        {
            Assert.Skip("this Distribution has no referrers API (OCI 1.1); the proxy's referrers pass-through is checked against an OCI 1.1 scripted upstream (ReferrersAndPaginationTests)");
        }
    }

    /// <summary>Skips when Distribution ignores <c>n</c>: it lists every tag whatever is asked.</summary>
    private async Task SkipUnlessUpstreamPagesAsync()
    {
        var direct = await f.SendAsync(ConformanceTarget.Direct, HttpMethod.Get, "tags/list?n=1");
        if (Tags(direct).Count != 1)
        {
            Assert.Skip("this Distribution ignores n and last on tags/list; the proxy's pagination is checked against an OCI 1.1 scripted upstream (ReferrersAndPaginationTests)");
        }
    }
}
