namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// What real clients make of a moved tag's refusal (409 DENIED): skopeo and podman print its
/// message, naming the tag and both digests, and give up at once: the refusal is not one
/// they retry, so upstream is asked once per attempt.
/// </summary>
[Trait("Category", "E2E")]
public sealed class MovedTagClientTests
{
    private const string Registry = "moved.test";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SkopeoAndPodmanPrintTheRefusalAndDoNotRetryIt()
    {
        await using var upstream = await Oci11Registry.StartAsync();
        var first = upstream.PutManifest(upstream.Manifest("before the move"), OciImageBuilder.ManifestMediaType, "v1");
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, [Registry + "=" + upstream.BaseUri], cancellationToken: Ct);
        var image = $"{proxy.HostPort}/{Registry}/org/app:v1";
        Assert.NotEmpty(await Skopeo.InspectRawAsync("docker://" + image, cancellationToken: Ct));
        var moved = upstream.PutManifest(upstream.Manifest("after the move"), OciImageBuilder.ManifestMediaType, "v1");

        var before = Asked(upstream);
        var skopeo = await Assert.ThrowsAsync<InvalidOperationException>(() => Skopeo.InspectRawAsync("docker://" + image, cancellationToken: Ct));
        AssertNamesTheMove(skopeo.Message, first, moved);
        Assert.Equal(before + 1, Asked(upstream));

        using var podman = new Podman();
        before = Asked(upstream);
        var pulled = await Assert.ThrowsAsync<InvalidOperationException>(() => podman.PullAsync(image, cancellationToken: Ct));
        AssertNamesTheMove(pulled.Message, first, moved);
        Assert.Equal(before + 1, Asked(upstream));
    }

    private static void AssertNamesTheMove(string message, string first, string moved)
    {
        Assert.Contains($"{Registry}/org/app:v1", message, StringComparison.Ordinal);
        Assert.Contains(first, message, StringComparison.Ordinal);
        Assert.Contains(moved, message, StringComparison.Ordinal);
    }

    /// <summary>How many times the proxy read the tag's manifest upstream (each refusal is decided on a GET).</summary>
    private static int Asked(Oci11Registry upstream) => upstream.Requests.Count(r => r == "GET manifests/v1");
}
