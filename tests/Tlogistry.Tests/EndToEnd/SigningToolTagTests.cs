using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tlogistry.Transparency.Embedded;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// The tags signing tools move by design (cosign's <c>sha256-HEX.sig</c>, <c>.att</c>, the
/// referrers fallback tag <c>sha256-HEX</c>): through the proxy each is served as upstream has
/// it now, so a second signature does not refuse verification, while the image's own tag and
/// cosign's unsigned <c>.sbom</c> tag stay pinned; a registry's own mutable-tag list pins them again.
/// </summary>
[Trait("Category", "E2E")]
public sealed class SigningToolTagTests
{
    private const string Registry = "signed.test";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ASignatureTagMovedByASecondSignatureIsServedAndNeverLogged()
    {
        await using var upstream = await Oci11Registry.StartAsync();
        var image = upstream.PutManifest(upstream.Manifest("signed image"), OciImageBuilder.ManifestMediaType, "v1");
        var hex = image["sha256:".Length..];
        var suffixes = new[] { ".sig", ".att", "" };
        foreach (var suffix in suffixes)
        {
            upstream.PutManifest(upstream.Manifest("first " + suffix), OciImageBuilder.ManifestMediaType, "sha256-" + hex + suffix);
        }

        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, [Registry + "=" + upstream.BaseUri], cancellationToken: Ct);
        var log = proxy.Services.GetRequiredService<EmbeddedLog>();
        var proxied = $"docker://{proxy.HostPort}/{Registry}/org/app";
        Assert.Equal(image, await RawDigestAsync(proxied + ":v1"));
        var pinned = log.Size;

        foreach (var suffix in suffixes)
        {
            Assert.NotEmpty(await Skopeo.InspectRawAsync($"{proxied}:sha256-{hex}{suffix}", cancellationToken: Ct));

            // A second signing appends to the same tag: a new manifest under it.
            var second = upstream.PutManifest(upstream.Manifest("second " + suffix), OciImageBuilder.ManifestMediaType, "sha256-" + hex + suffix);
            Assert.Equal(second, await RawDigestAsync($"{proxied}:sha256-{hex}{suffix}"));
        }

        Assert.Equal(pinned, log.Size);

        // The .sbom tag holds an SBOM nothing signs: pinned at first sight, and refused once moved.
        var sbomTag = "sha256-" + hex + ".sbom";
        var sbom = upstream.PutManifest(upstream.Manifest("first sbom"), OciImageBuilder.ManifestMediaType, sbomTag);
        Assert.Equal(sbom, await RawDigestAsync($"{proxied}:{sbomTag}"));
        Assert.Equal(pinned + 1, log.Size);
        upstream.PutManifest(upstream.Manifest("replaced sbom"), OciImageBuilder.ManifestMediaType, sbomTag);
        using (var http0 = new HttpClient { BaseAddress = proxy.BaseUri })
        using (var sbomRequest = new HttpRequestMessage(HttpMethod.Get, $"/v2/{Registry}/org/app/manifests/{sbomTag}"))
        {
            sbomRequest.Headers.TryAddWithoutValidation("Accept", OciImageBuilder.ManifestMediaType);
            using var moved = await http0.SendAsync(sbomRequest, Ct);
            Assert.Equal(HttpStatusCode.Conflict, moved.StatusCode);
        }

        // The image's own tag is still pinned: moved, it is refused.
        upstream.PutManifest(upstream.Manifest("replaced image"), OciImageBuilder.ManifestMediaType, "v1");
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{Registry}/org/app/manifests/v1");
        request.Headers.TryAddWithoutValidation("Accept", OciImageBuilder.ManifestMediaType);
        using var refused = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
    }

    [Fact]
    public async Task ARegistrysOwnMutableTagListPinsSignatureTagsAgain()
    {
        await using var upstream = await Oci11Registry.StartAsync();
        var image = upstream.PutManifest(upstream.Manifest("strict image"), OciImageBuilder.ManifestMediaType, "v1");
        var tag = image.Replace(':', '-') + ".sig";
        var first = upstream.PutManifest(upstream.Manifest("first signature"), OciImageBuilder.ManifestMediaType, tag);

        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(
            data.Path,
            [Registry + "=" + upstream.BaseUri],
            new Dictionary<string, string?> { ["Tlogistry:Policies:0"] = Registry + ":mutable-tag=" },
            Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };

        using (var pinned = await GetAsync(http, tag))
        {
            Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
            Assert.Equal("true", pinned.Headers.GetValues("Tlog-First-Seen").Single());
            Assert.Equal(first, pinned.Headers.GetValues("Docker-Content-Digest").Single());
        }

        var second = upstream.PutManifest(upstream.Manifest("second signature"), OciImageBuilder.ManifestMediaType, tag);
        using var refused = await GetAsync(http, tag);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var body = await refused.Content.ReadAsStringAsync(Ct);
        Assert.Contains(first, body, StringComparison.Ordinal);
        Assert.Contains(second, body, StringComparison.Ordinal);
    }

    /// <summary>The digest of the manifest skopeo read (<c>inspect --raw</c>: an artifact has no image config to inspect).</summary>
    private static async Task<string> RawDigestAsync(string image) =>
        OciImageBuilder.Sha256Digest(await Skopeo.InspectRawAsync(image, cancellationToken: Ct));

    private static async Task<HttpResponseMessage> GetAsync(HttpClient http, string tag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{Registry}/org/app/manifests/{tag}");
        request.Headers.TryAddWithoutValidation("Accept", OciImageBuilder.ManifestMediaType);
        return await http.SendAsync(request, Ct);
    }
}
