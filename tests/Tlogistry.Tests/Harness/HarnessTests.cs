using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Tlogistry.Tests.Harness;

/// <summary>Proves the E2E harness against the real registry, skopeo and podman, before any proxy is involved.</summary>
[Trait("Category", "E2E")]
public sealed class HarnessTests
{
    private const string Repository = "library/alpine";
    private const string Tag = "3.16.0";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SkopeoPushToPlainRegistryKeepsTheBuildersDigest()
    {
        using var layout = new TempDirectory();
        var builder = new OciImageBuilder(layout.Path);
        var imageA = builder.AddImage("a", "image A");
        var imageB = builder.AddImage("b", "image B");
        Assert.NotEqual(imageA.ManifestDigest, imageB.ManifestDigest);
        Assert.Equal(imageA.ManifestDigest, new OciImageBuilder(layout.Combine("again")).AddImage("a", "image A").ManifestDigest);

        Uri baseUri;
        await using (var registry = await DistributionRegistry.StartAsync(cancellationToken: Ct))
        {
            baseUri = registry.BaseUri;
            var target = $"docker://{registry.HostPort}/{Repository}:{Tag}";
            await Skopeo.CopyAsync(imageA.Reference, target, cancellationToken: Ct);

            Assert.Equal(imageA.ManifestDigest, await Skopeo.InspectDigestAsync(target, cancellationToken: Ct));
            Assert.Equal(imageA.ManifestBytes, await Skopeo.InspectRawAsync(target, cancellationToken: Ct));
        }

        // Disposal really stopped the registry.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri(baseUri, "v2/"), Ct));
    }

    [Fact]
    public async Task LargeUncompressedLayerAndIndexRoundTrip()
    {
        using var layout = new TempDirectory();
        var builder = new OciImageBuilder(layout.Path);
        var big = builder.AddImage("big", "big image", randomLayerBytes: 64L << 20, gzip: false);
        var index = builder.AddIndex("multi", "multi-platform image");
        Assert.Equal(OciImageBuilder.TarMediaType, big.Layers[1].MediaType);
        Assert.Equal(big.Layers[1].Digest, big.Layers[1].DiffId);
        Assert.True(big.Layers[1].Size > 64L << 20);

        await using var registry = await DistributionRegistry.StartAsync(cancellationToken: Ct);
        var bigTarget = $"docker://{registry.HostPort}/test/big:1";
        // skopeo would gzip uncompressed layers on the way to a registry without this flag.
        await Skopeo.CopyAsync(big.Reference, bigTarget, ["--preserve-digests"], cancellationToken: Ct);
        Assert.Equal(big.ManifestDigest, await Skopeo.InspectDigestAsync(bigTarget, cancellationToken: Ct));

        var indexTarget = $"docker://{registry.HostPort}/test/multi:1";
        await Skopeo.CopyAsync(index.Reference, indexTarget, ["--all"], cancellationToken: Ct);
        Assert.Equal(index.IndexBytes, await Skopeo.InspectRawAsync(indexTarget, cancellationToken: Ct));
        var arm64 = index.Images.Single(i => i.Architecture == "arm64");
        Assert.Equal(
            arm64.ManifestBytes,
            await Skopeo.InspectRawAsync($"docker://{registry.HostPort}/test/multi@{arm64.ManifestDigest}", cancellationToken: Ct));
    }

    [Fact]
    public async Task RegistryThatCannotStartReportsItsStderr()
    {
        var auth = new RegistryTokenAuth(new Uri("http://127.0.0.1:1/token"), "s", "i", "/nonexistent/root.pem");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => DistributionRegistry.StartAsync(auth, cancellationToken: Ct));

        Assert.Contains("exited with", error.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/root.pem", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenRegistryChallengesAnonymousRequestsWithTheIssuersRealm()
    {
        await using var issuer = await TokenIssuer.StartAsync(cancellationToken: Ct);
        await using var registry = await DistributionRegistry.StartAsync(issuer.RegistryAuth, cancellationToken: Ct);
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri(registry.BaseUri, "v2/library/x/manifests/y"), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = BearerChallenge.From(response);
        Assert.NotNull(challenge);
        Assert.Equal(issuer.Realm.ToString(), challenge.Realm);
        Assert.Equal(issuer.Service, challenge.Service);
        Assert.Equal("repository:library/x:pull", challenge.Scope);
    }

    [Fact]
    public async Task SkopeoPushesToAndPullsFromATokenRegistryThroughTheIssuer()
    {
        using var layout = new TempDirectory();
        var image = new OciImageBuilder(layout.Path).AddImage("t", "token image");
        await using var issuer = await TokenIssuer.StartAsync(cancellationToken: Ct);
        await using var registry = await DistributionRegistry.StartAsync(issuer.RegistryAuth, cancellationToken: Ct);
        var target = $"docker://{registry.HostPort}/{Repository}:{Tag}";

        await Skopeo.CopyAsync(image.Reference, target, ["--dest-creds", issuer.Credentials], cancellationToken: Ct);
        Assert.Equal(image.ManifestDigest, await Skopeo.InspectDigestAsync(target, ["--creds", issuer.Credentials], Ct));
        // Anonymous callers get pull too.
        Assert.Equal(image.ManifestBytes, await Skopeo.InspectRawAsync(target, cancellationToken: Ct));

        var push = Assert.Single(issuer.Requests, r => r.Scopes.Contains($"repository:{Repository}:pull,push"));
        Assert.True(push.Authenticated);
        Assert.Equal(issuer.Service, push.Service);
        Assert.StartsWith("Basic ", push.Authorization, StringComparison.Ordinal);
        Assert.Contains(issuer.Requests, r => r.Authorization is null && r.Scopes.SequenceEqual([$"repository:{Repository}:pull"]));
        Assert.Equal(issuer.Requests.Count, issuer.IssuedCount);

        // Pushing without credentials is refused: anonymous tokens carry pull only.
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(
            () => Skopeo.CopyAsync(image.Reference, $"docker://{registry.HostPort}/{Repository}:other", cancellationToken: Ct));
        Assert.Contains("authentication required", refused.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task IssuerTokenGrantsAManifestGetInAManualBearerFlow()
    {
        using var layout = new TempDirectory();
        var image = new OciImageBuilder(layout.Path).AddImage("t", "bearer image");
        await using var issuer = await TokenIssuer.StartAsync(cancellationToken: Ct);
        await using var registry = await DistributionRegistry.StartAsync(issuer.RegistryAuth, cancellationToken: Ct);
        await Skopeo.CopyAsync(
            image.Reference, $"docker://{registry.HostPort}/{Repository}:{Tag}", ["--dest-creds", issuer.Credentials], cancellationToken: Ct);
        issuer.TokenField = TokenField.AccessToken;
        issuer.ExpiresIn = null;

        using var http = new HttpClient();
        var manifestUri = new Uri(registry.BaseUri, $"v2/{Repository}/manifests/{Tag}");
        using var challenged = await http.GetAsync(manifestUri, Ct);
        var challenge = BearerChallenge.From(challenged) ?? throw new InvalidOperationException("no Bearer challenge");

        var tokenJson = await http.GetStringAsync(challenge.TokenUri(), Ct);
        using var doc = JsonDocument.Parse(tokenJson);
        Assert.False(doc.RootElement.TryGetProperty("token", out _));
        Assert.False(doc.RootElement.TryGetProperty("expires_in", out _));
        var token = doc.RootElement.GetProperty("access_token").GetString();

        using var request = new HttpRequestMessage(HttpMethod.Get, manifestUri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciImageBuilder.ManifestMediaType));
        using var response = await http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(image.ManifestDigest, response.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(image.ManifestBytes, await response.Content.ReadAsByteArrayAsync(Ct));
        var last = issuer.Requests[^1];
        Assert.Null(last.Authorization);
        Assert.Equal([$"repository:{Repository}:pull"], last.Scopes);

        // A token for another repository does not open this one.
        using var other = new HttpRequestMessage(HttpMethod.Get, manifestUri);
        other.Headers.Authorization = new AuthenticationHeaderValue(
            "Bearer", issuer.CreateToken("", [new TokenAccess("repository", "library/other", ["pull"])]));
        using var denied = await http.SendAsync(other, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
    }

    [Fact]
    public async Task IssuerFaultsAndBadCredentials()
    {
        await using var issuer = await TokenIssuer.StartAsync(cancellationToken: Ct);
        using var http = new HttpClient();
        var uri = new Uri($"{issuer.Realm}?service={issuer.Service}&scope=repository:a/b:pull");

        using (var request = new HttpRequestMessage(HttpMethod.Get, uri))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:wrong")));
            using var response = await http.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        issuer.Fault = TokenIssuerFault.ServerError;
        using (var response = await http.GetAsync(uri, Ct))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        }

        issuer.Fault = TokenIssuerFault.Garbage;
        var garbage = await http.GetStringAsync(uri, Ct);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(garbage));

        issuer.Fault = TokenIssuerFault.None;
        var json = await http.GetStringAsync(uri, Ct);
        Assert.Equal(1, issuer.IssuedCount);
        Assert.Equal(4, issuer.Requests.Count);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(300, doc.RootElement.GetProperty("expires_in").GetInt32());
        var claims = DecodeJwtPart(doc.RootElement.GetProperty("token").GetString()!, 1);
        Assert.Equal("", claims.GetProperty("sub").GetString());
        Assert.Equal(issuer.Service, claims.GetProperty("aud").GetString());
        Assert.Equal("""[{"type":"repository","name":"a/b","actions":["pull"]}]""", claims.GetProperty("access").GetRawText());
    }

    [Fact]
    public async Task PodmanPullsFromTheRegistryAndBuildsFromThatImage()
    {
        using var layout = new TempDirectory();
        var image = new OciImageBuilder(layout.Path).AddImage("p", "podman image");
        await using var registry = await DistributionRegistry.StartAsync(cancellationToken: Ct);
        var reference = $"{registry.HostPort}/{Repository}:{Tag}";
        await Skopeo.CopyAsync(image.Reference, $"docker://{reference}", cancellationToken: Ct);
        using var podman = new Podman();

        await podman.PullAsync(reference, cancellationToken: Ct);
        Assert.Equal(image.ManifestDigest, await podman.ImageDigestAsync(reference, Ct));

        using var context = new TempDirectory();
        await File.WriteAllTextAsync(
            context.Combine("Dockerfile"), $"FROM {reference}\nLABEL org.tlogistry.test.built=yes\n", Ct);
        var id = await podman.BuildAsync(context.Path, "localhost/built:1", cancellationToken: Ct);
        Assert.Matches("^sha256:[0-9a-f]{64}$", id);

        var labels = await podman.RunAsync(["image", "inspect", "--format", "{{json .Labels}}", "localhost/built:1"], cancellationToken: Ct);
        using var doc = JsonDocument.Parse(labels.StandardOutput);
        Assert.Equal("yes", doc.RootElement.GetProperty("org.tlogistry.test.built").GetString());
        Assert.Equal("podman image", doc.RootElement.GetProperty(OciImageBuilder.TextLabel).GetString());
    }

    private static JsonElement DecodeJwtPart(string jwt, int part)
    {
        var segment = jwt.Split('.')[part].Replace('-', '+').Replace('_', '/');
        segment += new string('=', (4 - (segment.Length % 4)) % 4);
        using var doc = JsonDocument.Parse(Convert.FromBase64String(segment));
        return doc.RootElement.Clone();
    }
}
