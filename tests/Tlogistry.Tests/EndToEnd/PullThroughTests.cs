using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Tlogistry.Transparency.Embedded;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>Real clients pulling real images through tlogistry from real registries.</summary>
[Trait("Category", "E2E")]
public sealed class PullThroughTests(PullThroughFixture f) : IClassFixture<PullThroughFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SkopeoInspectsAndCopiesByTagAndByDigest()
    {
        var proxy = f.Proxy.HostPort;
        Assert.Equal(f.Alpine.ManifestDigest, await Skopeo.InspectDigestAsync($"docker://{proxy}/alpine:3.16.0", cancellationToken: Ct));
        Assert.Equal(f.Alpine.ManifestBytes, await Skopeo.InspectRawAsync($"docker://{proxy}/library/alpine:3.16.0", cancellationToken: Ct));
        Assert.Equal(f.App.ManifestDigest, await Skopeo.InspectDigestAsync($"docker://{proxy}/ghcr.io/org/app:v1", cancellationToken: Ct));

        using var dest = new TempDirectory();
        await Skopeo.CopyAsync($"docker://{proxy}/ghcr.io/org/app:v1", "dir:" + dest.Combine("by-tag"), cancellationToken: Ct);
        await Skopeo.CopyAsync($"docker://{proxy}/docker.io/library/alpine@{f.Alpine.ManifestDigest}", "dir:" + dest.Combine("by-digest"), cancellationToken: Ct);
        Assert.Equal(f.App.ManifestBytes, await File.ReadAllBytesAsync(dest.Combine("by-tag", "manifest.json"), Ct));
        Assert.Equal(f.Alpine.ManifestBytes, await File.ReadAllBytesAsync(dest.Combine("by-digest", "manifest.json"), Ct));
    }

    [Fact]
    public async Task PodmanPullsByTagAndDigestAndBuildsFromTheProxy()
    {
        using var podman = new Podman();
        var proxy = f.Proxy.HostPort;
        await podman.PullAsync($"{proxy}/ghcr.io/org/app:v1", cancellationToken: Ct);
        Assert.Equal(f.App.ManifestDigest, await podman.ImageDigestAsync($"{proxy}/ghcr.io/org/app:v1", Ct));
        await podman.PullAsync($"{proxy}/alpine@{f.Alpine.ManifestDigest}", cancellationToken: Ct);

        using var context = new TempDirectory();
        await File.WriteAllTextAsync(context.Combine("Dockerfile"), $"FROM {proxy}/alpine:3.16.0\nLABEL built.through=tlogistry\n", Ct);
        var built = await podman.BuildAsync(context.Path, "localhost/through-proxy:1", cancellationToken: Ct);
        Assert.StartsWith("sha256:", built, StringComparison.Ordinal);
        var labels = await podman.RunAsync(["image", "inspect", "--format", "{{index .Labels \"built.through\"}}", "localhost/through-proxy:1"], cancellationToken: Ct);
        Assert.Equal("tlogistry", labels.StandardOutput.Trim());
    }

    [Fact]
    public async Task AMultiPlatformIndexIsPinnedByItsIndexDigestAndPullsWithPodman()
    {
        var index = f.Images.AddIndex("multi", "multi-platform app");
        await Skopeo.CopyAsync(index.Reference, $"docker://{f.Hub.HostPort}/team/multi:1", ["--all"], cancellationToken: Ct);

        using var http = f.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/team/multi/manifests/1");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.index.v1+json");
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.oci.image.index.v1+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(index.IndexDigest, Header(response, "Docker-Content-Digest"));
        Assert.Equal("true", Header(response, "Tlog-First-Seen"));

        // podman resolves the index through the proxy, then fetches its platform's manifest by digest.
        using var podman = new Podman();
        await podman.PullAsync($"{f.Proxy.HostPort}/team/multi:1", ["--arch", "arm64"], Ct);
        var inspected = await podman.RunAsync(["image", "inspect", "--format", "{{.Architecture}}", $"{f.Proxy.HostPort}/team/multi:1"], cancellationToken: Ct);
        Assert.Equal("arm64", inspected.StandardOutput.Trim());
    }

    [Fact]
    public async Task AMovedTagIsRefusedNamingBothDigestsEvenAfterRestart()
    {
        var a = await f.PushToHubAsync("team/svc", "v1", "service A");
        string pinIndex, pinUuid;
        using (var http = f.Client())
        {
            using var first = await GetManifest(http, "/v2/team/svc/manifests/v1");
            pinIndex = Header(first, "Tlog-Logindex")!;
            pinUuid = Header(first, "Tlog-Uuid")!;
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal("true", Header(first, "Tlog-First-Seen"));
            Assert.Equal(a.ManifestDigest, Header(first, "Docker-Content-Digest"));
            Assert.Equal(a.ManifestBytes, await first.Content.ReadAsByteArrayAsync(Ct));
            Assert.Matches("^[0-9a-f]{64}$", Header(first, "Tlog-Uuid"));
            Assert.True(long.Parse(Header(first, "Tlog-Logindex")!, System.Globalization.CultureInfo.InvariantCulture) >= 0);
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", Header(first, "Tlog-Integratedtime"));

            using var again = await GetManifest(http, "/v2/team/svc/manifests/v1");
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Null(Header(again, "Tlog-First-Seen"));
            Assert.Equal(Header(first, "Tlog-Uuid"), Header(again, "Tlog-Uuid"));
        }

        var b = await f.PushToHubAsync("team/svc", "v1", "service B, pushed over v1");
        var want = $"tag \"index.docker.io/team/svc:v1\" moved: upstream now serves \"{b.ManifestDigest}\", but it was pinned to \"{a.ManifestDigest}\" by log entry {pinIndex} (uuid {pinUuid}); refused: digest mismatch";
        await AssertRefused(want);
        var skopeo = await Assert.ThrowsAsync<InvalidOperationException>(() => Skopeo.InspectRawAsync($"docker://{f.Proxy.HostPort}/team/svc:v1", cancellationToken: Ct));
        Assert.Contains("mismatch", skopeo.Message, StringComparison.Ordinal);
        Assert.Contains($"by log entry {pinIndex} (uuid {pinUuid})", skopeo.Message, StringComparison.Ordinal);

        await f.RestartProxyAsync();
        await AssertRefused(want);

        using var http2 = f.Client();
        using var byDigest = await GetManifest(http2, $"/v2/team/svc/manifests/{b.ManifestDigest}");
        Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
        Assert.Equal(b.ManifestBytes, await byDigest.Content.ReadAsByteArrayAsync(Ct));

        using var head = new HttpRequestMessage(HttpMethod.Head, "/v2/team/svc/manifests/v1");
        using var headResponse = await http2.SendAsync(head, Ct);
        Assert.Equal(HttpStatusCode.Conflict, headResponse.StatusCode);
    }

    [Fact]
    public async Task ServePinnedGivesSkopeoAndPodmanThePinnedImageAfterTheTagMoved()
    {
        var a = await f.PushToHubAsync("team/steady", "v1", "steady A");
        var proxied = $"{f.Proxy.HostPort}/{PullThroughFixture.PolicyHost}/team/steady:v1";
        Assert.Equal(a.ManifestDigest, await Skopeo.InspectDigestAsync("docker://" + proxied, cancellationToken: Ct));

        var b = await f.PushToHubAsync("team/steady", "v1", "steady B, pushed over v1");
        Assert.Equal(a.ManifestBytes, await Skopeo.InspectRawAsync("docker://" + proxied, cancellationToken: Ct));
        using var dest = new TempDirectory();
        await Skopeo.CopyAsync("docker://" + proxied, "dir:" + dest.Path, cancellationToken: Ct);
        Assert.Equal(a.ManifestBytes, await File.ReadAllBytesAsync(dest.Combine("manifest.json"), Ct));
        Assert.True(File.Exists(dest.Combine(a.ConfigDigest["sha256:".Length..])));

        using (var http = f.Client())
        using (var response = await GetManifest(http, $"/v2/{PullThroughFixture.PolicyHost}/team/steady/manifests/v1"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(a.ManifestDigest, Header(response, "Docker-Content-Digest"));
            Assert.Equal(b.ManifestDigest, Header(response, "Tlog-Mismatch"));
            Assert.Matches("^[0-9a-f]{64}$", Header(response, "Tlog-Uuid"));

            // The same repository by its docker.io name follows the global policy: a first sighting of B.
            using var hub = await GetManifest(http, "/v2/team/steady/manifests/v1");
            Assert.Equal(b.ManifestDigest, Header(hub, "Docker-Content-Digest"));
            Assert.Equal("true", Header(hub, "Tlog-First-Seen"));
        }

        using var podman = new Podman();
        await podman.PullAsync(proxied, cancellationToken: Ct);
        Assert.Equal(a.ManifestDigest, await podman.ImageDigestAsync(proxied, Ct));
    }

    [Fact]
    public async Task AMutableTagFollowsTheRegistryAndIsNeverLogged()
    {
        var log = (EmbeddedLog)f.Proxy.Services.GetService(typeof(EmbeddedLog))!;
        var before = log.Size;
        var proxied = $"docker://{f.Proxy.HostPort}/{PullThroughFixture.PolicyHost}/team/rolling:latest";
        var first = await f.PushToHubAsync("team/rolling", "latest", "rolling 1");
        Assert.Equal(first.ManifestDigest, await Skopeo.InspectDigestAsync(proxied, cancellationToken: Ct));
        var second = await f.PushToHubAsync("team/rolling", "latest", "rolling 2");
        Assert.Equal(second.ManifestBytes, await Skopeo.InspectRawAsync(proxied, cancellationToken: Ct));

        using var http = f.Client();
        using var response = await GetManifest(http, $"/v2/{PullThroughFixture.PolicyHost}/team/rolling/manifests/latest");
        Assert.Equal("true", Header(response, "Tlog-Mutable"));
        Assert.Equal(second.ManifestDigest, Header(response, "Docker-Content-Digest"));
        Assert.Null(Header(response, "Tlog-Uuid"));
        Assert.Equal(before, log.Size);
    }

    [Fact]
    public async Task TwentyConcurrentFirstPullsOfATagMakeOneLogEntry()
    {
        var image = await f.PushToHubAsync("team/burst", "1.0", "burst");
        var log = (EmbeddedLog)f.Proxy.Services.GetService(typeof(EmbeddedLog))!;
        var before = log.Size;
        using var http = f.Client();
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            using var r = await GetManifest(http, "/v2/team/burst/manifests/1.0");
            return (r.StatusCode, Digest: Header(r, "Docker-Content-Digest"), Uuid: Header(r, "Tlog-Uuid"), First: Header(r, "Tlog-First-Seen"));
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.All(responses, r => Assert.Equal(image.ManifestDigest, r.Digest));
        Assert.Single(responses.Select(r => r.Uuid).Distinct());
        Assert.Single(responses, r => r.First == "true");
        Assert.Equal(before + 1, log.Size);
    }

    [Fact]
    public async Task The64MiBLayerArrivesByteExactAndRangesPassThrough()
    {
        var layer = f.Big.Layers.OrderByDescending(l => l.Size).First();
        Assert.True(layer.Size >= 64L << 20);
        using var http = f.Client();
        using (var response = await http.GetAsync($"/v2/ghcr.io/org/big/blobs/{layer.Digest}", HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(layer.Size, response.Content.Headers.ContentLength);
            await using var body = await response.Content.ReadAsStreamAsync(Ct);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[1 << 16];
            long total = 0;
            int n;
            while ((n = await body.ReadAsync(buffer, Ct)) > 0)
            {
                sha.AppendData(buffer, 0, n);
                total += n;
            }

            Assert.Equal(layer.Size, total);
            Assert.Equal(layer.Digest, "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset()));
        }

        using var ranged = new HttpRequestMessage(HttpMethod.Get, $"/v2/ghcr.io/org/big/blobs/{layer.Digest}");
        ranged.Headers.Range = new RangeHeaderValue(1000, 1999);
        using var part = await http.SendAsync(ranged, Ct);
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(1000, (await part.Content.ReadAsByteArrayAsync(Ct)).Length);

        using var dest = new TempDirectory();
        await Skopeo.CopyAsync($"docker://{f.Proxy.HostPort}/ghcr.io/org/big:1", "dir:" + dest.Path, cancellationToken: Ct);
        Assert.Equal(layer.Size, new FileInfo(dest.Combine(layer.Digest["sha256:".Length..])).Length);
    }

    [Fact]
    public async Task BlobRedirectsReachTheClientUnchangedAndCarryNoCredentials()
    {
        var layer = f.Alpine.Layers[0];
        using var http = f.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/alpine/blobs/{layer.Digest}");
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
        Assert.StartsWith(f.Cdn.BaseUri.ToString(), response.Headers.Location!.ToString(), StringComparison.Ordinal);

        using var plain = new HttpClient();
        var bytes = await plain.GetByteArrayAsync(response.Headers.Location, Ct);
        Assert.Equal(layer.Digest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.DoesNotContain(f.Cdn.Requests, r => r.Authorization is not null);
    }

    [Fact]
    public async Task ATokenAuthRegistryIsPulledWithCachedAnonymousTokensAndNoClientCredentials()
    {
        using var http = f.Client();
        var issuedBefore = f.Issuer.IssuedCount;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{PullThroughFixture.PrivateHost}/org/app/manifests/v1");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("client:secret"u8.ToArray()));
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(f.App.ManifestDigest, Header(response, "Docker-Content-Digest"));
        Assert.Equal(issuedBefore + 1, f.Issuer.IssuedCount);

        var tokenRequest = f.Issuer.Requests[^1];
        Assert.Equal(["repository:org/app:pull"], tokenRequest.Scopes);
        Assert.Null(tokenRequest.Authorization);

        // Blobs and a second manifest pull reuse the cached token.
        using var blob = await http.GetAsync($"/v2/{PullThroughFixture.PrivateHost}/org/app/blobs/{f.App.Layers[0].Digest}", Ct);
        Assert.Equal(HttpStatusCode.OK, blob.StatusCode);
        using var again = await GetManifest(http, $"/v2/{PullThroughFixture.PrivateHost}/org/app/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(issuedBefore + 1, f.Issuer.IssuedCount);
        Assert.DoesNotContain(f.Issuer.Requests, r => r.Authorization?.Contains("client", StringComparison.Ordinal) == true);

        Assert.Equal(f.App.ManifestDigest, await Skopeo.InspectDigestAsync($"docker://{f.Proxy.HostPort}/{PullThroughFixture.PrivateHost}/org/app:v1", cancellationToken: Ct));
    }

    [Fact]
    public async Task TagListsPassThrough()
    {
        foreach (var t in new[] { "t1", "t2", "t3" })
        {
            await f.PushToHubAsync("team/paged", t, "paged " + t);
        }

        using var http = f.Client();
        using var list = await http.GetAsync("/v2/team/paged/tags/list", Ct);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        using var doc = JsonDocument.Parse(await list.Content.ReadAsStringAsync(Ct));
        Assert.Equal(["t1", "t2", "t3"], doc.RootElement.GetProperty("tags").EnumerateArray().Select(e => e.GetString()!).Order());

        using var missing = await http.GetAsync("/v2/team/never-pushed/tags/list", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task HeadByTagRecordsAndChecksLikeGet()
    {
        var image = await f.PushToHubAsync("team/headfirst", "2", "head first");
        using var http = f.Client();
        using var head = new HttpRequestMessage(HttpMethod.Head, "/v2/team/headfirst/manifests/2");
        using var response = await http.SendAsync(head, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("true", Header(response, "Tlog-First-Seen"));
        Assert.Equal(image.ManifestDigest, Header(response, "Docker-Content-Digest"));
        Assert.Equal(image.ManifestBytes.Length, response.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task RegistryApiErrorsAreOciErrors()
    {
        using var http = f.Client();
        using (var v2 = await http.GetAsync("/v2/", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, v2.StatusCode);
            Assert.Equal("registry/2.0", Header(v2, "Docker-Distribution-API-Version"));
        }

        await AssertError(http, HttpMethod.Put, "/v2/alpine/manifests/3.16.0", HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");
        await AssertError(http, HttpMethod.Post, "/v2/alpine/blobs/uploads/", HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");
        await AssertError(http, HttpMethod.Delete, $"/v2/alpine/manifests/{f.Alpine.ManifestDigest}", HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");
        await AssertError(http, HttpMethod.Get, "/v2/alpine/nothing/here", HttpStatusCode.NotFound, null);
        await AssertError(http, HttpMethod.Get, "/v3/", HttpStatusCode.NotFound, null);
        await AssertError(http, HttpMethod.Get, "/v2/Alpine/manifests/latest", HttpStatusCode.BadRequest, "NAME_INVALID");
        await AssertError(http, HttpMethod.Get, "/v2/a%2Fb/manifests/latest", HttpStatusCode.BadRequest, "NAME_INVALID");
        await AssertError(http, HttpMethod.Get, "/v2/alpine/blobs/sha256:1234", HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await AssertError(http, HttpMethod.Get, "/v2/alpine/manifests/-bad-tag", HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        await AssertError(http, HttpMethod.Get, "/v2/alpine/manifests/no-such-tag", HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        await AssertError(http, HttpMethod.Get, "/v2/alpine/blobs/sha256:" + new string('0', 64), HttpStatusCode.NotFound, "BLOB_UNKNOWN");

        // Distribution 2.8 has no referrers API: its 404 reaches the client as an OCI error,
        // which is what tells clients to fall back to the referrers tag schema.
        await AssertError(http, HttpMethod.Get, $"/v2/alpine/referrers/{f.Alpine.ManifestDigest}", HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    private static async Task AssertError(HttpClient http, HttpMethod method, string path, HttpStatusCode status, string? code)
    {
        using var request = new HttpRequestMessage(method, path);
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(status, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var error = doc.RootElement.GetProperty("errors")[0];
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        if (code is not null)
        {
            Assert.Equal(code, error.GetProperty("code").GetString());
        }
    }

    private async Task AssertRefused(string message)
    {
        using var http = f.Client();
        using var response = await GetManifest(http, "/v2/team/svc/manifests/v1");
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var error = doc.RootElement.GetProperty("errors")[0];
        Assert.Equal("DENIED", error.GetProperty("code").GetString());
        Assert.Equal(message, error.GetProperty("message").GetString());
    }

    private static async Task<HttpResponseMessage> GetManifest(HttpClient http, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        var response = await http.SendAsync(request, Ct);
        await response.Content.LoadIntoBufferAsync(Ct);
        return response;
    }

    private static string? Header(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out var v) || r.Content.Headers.TryGetValues(name, out v) ? string.Join(",", v) : null;
}
