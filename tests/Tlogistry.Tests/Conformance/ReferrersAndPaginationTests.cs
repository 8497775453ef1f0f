using System.Net;
using System.Text.Json;

namespace Tlogistry.Tests.Conformance;

/// <summary>
/// What Distribution 2.8 cannot show: the referrers API and tag-list pagination through the
/// proxy, against an upstream that follows distribution-spec v1.1 (<see cref="Oci11Registry"/>):
/// <c>artifactType</c> filtering and <c>OCI-Filters-Applied</c>, <c>n</c>/<c>last</c> with
/// <c>Link</c> rewritten to the proxy, the referrers fallback tag, and manifests with a
/// <c>subject</c> pulled by digest.
/// </summary>
[Trait("Category", "E2E")]
public sealed class ReferrersAndPaginationTests
{
    private const string Registry = "oci.test";
    private const string TypeA = "application/vnd.example.sbom";
    private const string TypeB = "application/vnd.example.signature";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ReferrersPassThroughWithTheirFilterAndItsHeader()
    {
        await using var upstream = await Oci11Registry.StartAsync();
        var subject = upstream.PutManifest(upstream.Manifest("the image"), OciImageBuilder.ManifestMediaType, "v1");
        var referrers = new[] { TypeA, TypeB, TypeA }
            .Select((type, i) => upstream.PutManifest(upstream.Manifest($"referrer {i}", type, subject, $"note {i}"), OciImageBuilder.ManifestMediaType))
            .ToList();
        await using var rig = await Rig.StartAsync(upstream);

        using (var all = await rig.Http.GetAsync($"/v2/{Registry}/org/app/referrers/{subject}", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, all.StatusCode);
            Assert.Equal(Oci11Registry.IndexType, all.Content.Headers.ContentType?.MediaType);
            Assert.False(all.Headers.Contains("OCI-Filters-Applied"));
            var index = await Index(all);
            Assert.Equal(referrers.Order(), index.Select(m => m.Digest).Order());
            Assert.All(index, m => Assert.StartsWith("note ", m.Note, StringComparison.Ordinal));
        }

        using (var filtered = await rig.Http.GetAsync($"/v2/{Registry}/org/app/referrers/{subject}?artifactType={Uri.EscapeDataString(TypeA)}", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, filtered.StatusCode);
            Assert.Equal("artifactType", filtered.Headers.GetValues("OCI-Filters-Applied").Single());
            var index = await Index(filtered);
            Assert.Equal(new[] { referrers[0], referrers[2] }.Order(), index.Select(m => m.Digest).Order());
            Assert.All(index, m => Assert.Equal(TypeA, m.ArtifactType));
        }

        // The filter reached upstream as the client wrote it, and nothing else did.
        Assert.Contains($"GET referrers/{subject}?artifactType={Uri.EscapeDataString(TypeA)}", upstream.Requests);

        // A subject nothing refers to: 200 and an empty index, passed on as upstream sent it.
        using var none = await rig.Http.GetAsync($"/v2/{Registry}/org/app/referrers/{Oci11Registry.Digest("nothing"u8.ToArray())}", Ct);
        Assert.Equal(HttpStatusCode.OK, none.StatusCode);
        Assert.Empty(await Index(none));
    }

    [Fact]
    public async Task TagListPagesFollowTheProxysLinkToTheEnd()
    {
        await using var upstream = await Oci11Registry.StartAsync();
        var image = upstream.Manifest("paged");
        var tags = new[] { "b", "a", "c", "e", "d" };
        foreach (var tag in tags)
        {
            upstream.PutManifest(image, OciImageBuilder.ManifestMediaType, tag);
        }

        await using var rig = await Rig.StartAsync(upstream);
        var seen = new List<string>();
        var links = new List<string>();
        var next = $"/v2/{Registry}/org/app/tags/list?n=2";
        while (next is not null)
        {
            using var page = await rig.Http.GetAsync(next, Ct);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            using var doc = JsonDocument.Parse(await page.Content.ReadAsStringAsync(Ct));
            var pageTags = doc.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToList();
            Assert.True(pageTags.Count <= 2);
            seen.AddRange(pageTags);
            next = page.Headers.TryGetValues("Link", out var link) ? ParseNext(link.Single()) : null;
            if (next is not null)
            {
                links.Add(next);
            }
        }

        Assert.Equal(tags.Order(StringComparer.Ordinal), seen);
        Assert.Equal([$"/v2/{Registry}/org/app/tags/list?n=2&last=b", $"/v2/{Registry}/org/app/tags/list?n=2&last=d"], links);

        // n and last reached upstream; the last page came without a Link.
        Assert.Contains("GET tags/list?n=2&last=d", upstream.Requests);

        // last alone: the tags after it, all of them.
        using var after = await rig.Http.GetAsync($"/v2/{Registry}/org/app/tags/list?last=c", Ct);
        using var rest = JsonDocument.Parse(await after.Content.ReadAsStringAsync(Ct));
        Assert.Equal(["d", "e"], rest.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.False(after.Headers.Contains("Link"));
    }

    [Fact]
    public async Task TheFallbackTagAndEachReferrerAndItsSubjectArePulledThroughTheProxy()
    {
        // A client without the referrers API (or facing a registry without it) reads the
        // fallback tag sha256-HEX, an index of the referrers, then each referrer by digest.
        await using var upstream = await Oci11Registry.StartAsync();
        var subjectBytes = upstream.Manifest("the image");
        var subject = upstream.PutManifest(subjectBytes, OciImageBuilder.ManifestMediaType, "v1");
        var referrerBytes = upstream.Manifest("an sbom", TypeA, subject, "sbom");
        var referrer = upstream.PutManifest(referrerBytes, OciImageBuilder.ManifestMediaType);
        var fallbackTag = subject.Replace(':', '-');
        var indexBytes = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            schemaVersion = 2,
            mediaType = Oci11Registry.IndexType,
            manifests = new[] { new { mediaType = OciImageBuilder.ManifestMediaType, digest = referrer, size = referrerBytes.Length, artifactType = TypeA } },
        }));
        upstream.PutManifest(indexBytes, Oci11Registry.IndexType, fallbackTag);
        await using var rig = await Rig.StartAsync(upstream);

        using (var index = await Get(rig.Http, $"/v2/{Registry}/org/app/manifests/{fallbackTag}", Oci11Registry.IndexType))
        {
            Assert.Equal(HttpStatusCode.OK, index.StatusCode);
            Assert.Equal(indexBytes, await index.Content.ReadAsByteArrayAsync(Ct));
            Assert.Equal(Oci11Registry.IndexType, index.Content.Headers.ContentType?.MediaType);

            // The fallback tag gains an entry with each new referrer: mutable by default, never pinned.
            Assert.Equal("true", index.Headers.GetValues("Tlog-Mutable").Single());
        }

        using (var byDigest = await Get(rig.Http, $"/v2/{Registry}/org/app/manifests/{referrer}", OciImageBuilder.ManifestMediaType))
        {
            Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
            var bytes = await byDigest.Content.ReadAsByteArrayAsync(Ct);
            Assert.Equal(referrerBytes, bytes);
            using var doc = JsonDocument.Parse(bytes);
            Assert.Equal(subject, doc.RootElement.GetProperty("subject").GetProperty("digest").GetString());
        }

        using var subjectAnswer = await Get(rig.Http, $"/v2/{Registry}/org/app/manifests/{subject}", OciImageBuilder.ManifestMediaType);
        Assert.Equal(subjectBytes, await subjectAnswer.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(subject, subjectAnswer.Headers.GetValues("Docker-Content-Digest").Single());
    }

    private static async Task<HttpResponseMessage> Get(HttpClient http, string path, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        return await http.SendAsync(request, Ct);
    }

    private static string? ParseNext(string link)
    {
        var close = link.IndexOf('>', StringComparison.Ordinal);
        Assert.StartsWith("<", link, StringComparison.Ordinal);
        Assert.EndsWith("rel=\"next\"", link, StringComparison.Ordinal);
        return link[1..close];
    }

    private static async Task<List<(string Digest, string? ArtifactType, string? Note)>> Index(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(2, doc.RootElement.GetProperty("schemaVersion").GetInt32());
        return doc.RootElement.GetProperty("manifests").EnumerateArray()
            .Select(m => (
                m.GetProperty("digest").GetString()!,
                m.TryGetProperty("artifactType", out var t) ? t.GetString() : null,
                m.TryGetProperty("annotations", out var a) && a.TryGetProperty("org.example.note", out var n) ? n.GetString() : null))
            .ToList();
    }

    /// <summary>The proxy in front of the OCI 1.1 upstream, as <see cref="Registry"/>.</summary>
    internal sealed class Rig : IAsyncDisposable
    {
        private readonly TempDirectory _data;

        private Rig(TempDirectory data, ProxyHost proxy)
        {
            _data = data;
            Proxy = proxy;
            Http = new HttpClient { BaseAddress = proxy.BaseUri };
        }

        public ProxyHost Proxy { get; }

        public HttpClient Http { get; }

        public static async Task<Rig> StartAsync(Oci11Registry upstream, IReadOnlyDictionary<string, string?>? settings = null)
        {
            var data = new TempDirectory();
            var proxy = await ProxyHost.StartAsync(data.Path, [Registry + "=" + upstream.BaseUri], settings, Ct);
            return new Rig(data, proxy);
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Proxy.DisposeAsync();
            _data.Dispose();
        }
    }
}
