
namespace Tlogistry.Tests.Mirrors;

/// <summary>
/// podman pulling docker.io and ghcr.io images by their own names through registries.conf, on
/// loopback (each registry's <c>location</c> is its stand-in or the proxy, never the internet).
/// A rewritten <c>location</c> sends every pull to the proxy, so a refusal is final; a
/// <c>[[registry.mirror]]</c> is tried first and podman falls back to the registry itself, so a
/// refusal is final only where the node cannot reach the registry.
/// </summary>
[Trait("Category", "E2E")]
public sealed class PodmanMirrorTests(MirrorFixture f) : IClassFixture<MirrorFixture>
{
    private const string Header = """
        unqualified-search-registries = []
        short-name-mode = "disabled"

        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ARewrittenLocationPullsThroughTheProxyAndARefusalIsFinal()
    {
        using var podman = new Podman(Header + $"""
            [[registry]]
            prefix = "docker.io"
            location = "{f.Proxy.HostPort}/docker.io"
            insecure = true

            [[registry]]
            prefix = "ghcr.io"
            location = "{f.Proxy.HostPort}/ghcr.io"
            insecure = true

            """);
        var (ghcr, moved) = await AssertRightAndPinnedThenMoveAsync(podman, "located");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => podman.PullAsync("ghcr.io/org/located:v1", cancellationToken: Ct));
        AssertReadable(refused.Message, "ghcr.io/org/located:v1", moved, ghcr);
    }

    [Fact]
    public async Task AMirrorIsFinalOnlyWhereTheRegistryIsUnreachable()
    {
        // The node reaches no registry but the proxy: location is a closed loopback port.
        var closed = $"127.0.0.1:{FreePort.Next()}";
        using var podman = new Podman(Header + $"""
            [[registry]]
            prefix = "docker.io"
            location = "{closed}"
            insecure = true
            [[registry.mirror]]
            location = "{f.Proxy.HostPort}/docker.io"
            insecure = true

            [[registry]]
            prefix = "ghcr.io"
            location = "{closed}"
            insecure = true
            [[registry.mirror]]
            location = "{f.Proxy.HostPort}/ghcr.io"
            insecure = true

            """);
        var (ghcr, moved) = await AssertRightAndPinnedThenMoveAsync(podman, "mirrored");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => podman.PullAsync("ghcr.io/org/mirrored:v1", cancellationToken: Ct));
        AssertReadable(refused.Message, "ghcr.io/org/mirrored:v1", moved, ghcr);
        Assert.Contains("Mirrors also failed", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMirrorFallsBackToAReachableRegistryAfterARefusal()
    {
        using var podman = new Podman(Header + $"""
            [[registry]]
            prefix = "ghcr.io"
            location = "{f.Ghcr.HostPort}"
            insecure = true
            [[registry.mirror]]
            location = "{f.Proxy.HostPort}/ghcr.io"
            insecure = true

            """);
        var first = await f.PushAsync(f.Ghcr, "org/fallback", "v1", "ghcr.io org/fallback v1");
        await podman.PullAsync("ghcr.io/org/fallback:v1", cancellationToken: Ct);
        Assert.Equal(first.ManifestDigest, await MirrorPins.PinnedDigestAsync(f, "ghcr.io/org/fallback:v1", Ct));

        // Best-effort: the proxy refuses, podman takes the moved image from the registry itself.
        var moved = await f.PushAsync(f.Ghcr, "org/fallback", "v1", "ghcr.io org/fallback v1, moved");
        await podman.PullAsync("ghcr.io/org/fallback:v1", cancellationToken: Ct);
        Assert.Equal(moved.ManifestDigest, await podman.ImageDigestAsync("ghcr.io/org/fallback:v1", Ct));
        Assert.Equal(first.ManifestDigest, await MirrorPins.PinnedDigestAsync(f, "ghcr.io/org/fallback:v1", Ct));
    }

    private static void AssertReadable(string message, string reference, OciImage moved, OciImage pinned)
    {
        TestContext.Current.TestOutputHelper?.WriteLine("podman on a moved tag: " + message);

        // podman prints a TAG_INVALID message quoted (\" for ") and a DENIED one as it is: each part is looked for alone, unquoted.
        message = message.Replace("\\\"", "\"", StringComparison.Ordinal);
        Assert.Contains($"tag \"{reference}\" moved", message, StringComparison.Ordinal);
        Assert.Contains($"upstream now serves \"{moved.ManifestDigest}\"", message, StringComparison.Ordinal);
        Assert.Contains($"pinned to \"{pinned.ManifestDigest}\" by log entry", message, StringComparison.Ordinal);
    }

    /// <summary>Pulls both registries' images of one name, checks them and their pins, then moves ghcr.io's tag.</summary>
    private async Task<(OciImage Pinned, OciImage Moved)> AssertRightAndPinnedThenMoveAsync(Podman podman, string name)
    {
        var hub = await f.PushAsync(f.Hub, $"org/{name}", "v1", $"docker.io org/{name} v1");
        var ghcr = await f.PushAsync(f.Ghcr, $"org/{name}", "v1", $"ghcr.io org/{name} v1");
        await podman.PullAsync($"ghcr.io/org/{name}:v1", cancellationToken: Ct);
        await podman.PullAsync($"docker.io/org/{name}:v1", cancellationToken: Ct);
        Assert.Equal(ghcr.ManifestDigest, await podman.ImageDigestAsync($"ghcr.io/org/{name}:v1", Ct));
        Assert.Equal(hub.ManifestDigest, await podman.ImageDigestAsync($"docker.io/org/{name}:v1", Ct));
        Assert.Equal(ghcr.ManifestDigest, await MirrorPins.PinnedDigestAsync(f, $"ghcr.io/org/{name}:v1", Ct));
        Assert.Equal(hub.ManifestDigest, await MirrorPins.PinnedDigestAsync(f, $"docker.io/org/{name}:v1", Ct));
        var moved = await f.PushAsync(f.Ghcr, $"org/{name}", "v1", $"ghcr.io org/{name} v1, moved");
        return (ghcr, moved);
    }
}
