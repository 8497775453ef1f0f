
namespace Tlogistry.Tests.Mirrors;

/// <summary>
/// containerd (Debian's) pulling docker.io and ghcr.io images by their own names, every request
/// sent to the proxy by a node's hosts.toml files, with <c>server</c> set to the proxy too, so a
/// refusal is final and nothing leaves the machine: the right image for each registry, pinned
/// under that registry, and a moved tag fails the pull with the refusal's sentence.
/// </summary>
[Trait("Category", "E2E")]
public sealed class ContainerdMirrorTests(MirrorFixture f) : IClassFixture<MirrorFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>hosts.toml that sends every pull of a registry to the proxy, and nowhere else.</summary>
    private string HostsToml => $"""
        server = "http://{f.Proxy.HostPort}"

        [host."http://{f.Proxy.HostPort}"]
          capabilities = ["pull", "resolve"]

        """;

    [Fact]
    public async Task HostsTomlPullsEachRegistrysImageByItsOwnName()
    {
        await using var containerd = await Containerd.StartAsync(Ct);
        containerd.WriteHosts("docker.io", HostsToml);
        containerd.WriteHosts("ghcr.io", HostsToml);
        await AssertMirroredAsync(containerd, "hosts");
    }

    [Fact]
    public async Task OverridePathKeepsTheRegistryInThePath()
    {
        await using var containerd = await Containerd.StartAsync(Ct);
        foreach (var registry in new[] { "docker.io", "ghcr.io" })
        {
            containerd.WriteHosts(registry, $"""
                server = "http://{f.Proxy.HostPort}/v2/{registry}"
                override_path = true

                [host."http://{f.Proxy.HostPort}/v2/{registry}"]
                  capabilities = ["pull", "resolve"]
                  override_path = true

                """);
        }

        await AssertMirroredAsync(containerd, "override");
    }

    /// <summary>
    /// With <c>server</c> left at the registry (here its stand-in), a refusal is not final:
    /// containerd takes the next host, and the moved image arrives. Pinning is then best-effort.
    /// </summary>
    [Fact]
    public async Task AServerOtherThanTheProxyTakesTheMovedImageAfterARefusal()
    {
        await using var containerd = await Containerd.StartAsync(Ct);
        containerd.WriteHosts("ghcr.io", $"""
            server = "{f.Ghcr.BaseUri.ToString().TrimEnd('/')}"

            [host."http://{f.Proxy.HostPort}"]
              capabilities = ["pull", "resolve"]

            """);
        var first = await f.PushAsync(f.Ghcr, "org/fallback", "v1", "ghcr.io org/fallback v1");
        await containerd.FetchAsync("ghcr.io/org/fallback:v1", cancellationToken: Ct);
        Assert.Equal(first.ManifestDigest, await MirrorPins.PinnedDigestAsync(f, "ghcr.io/org/fallback:v1", Ct));

        var moved = await f.PushAsync(f.Ghcr, "org/fallback", "v1", "ghcr.io org/fallback v1, moved");
        await containerd.CtrAsync(["images", "rm", "ghcr.io/org/fallback:v1"], cancellationToken: Ct);
        await containerd.FetchAsync("ghcr.io/org/fallback:v1", cancellationToken: Ct);
        Assert.Equal(moved.ManifestDigest, await containerd.ImageDigestAsync("ghcr.io/org/fallback:v1", Ct));
        Assert.Equal(first.ManifestDigest, await MirrorPins.PinnedDigestAsync(f, "ghcr.io/org/fallback:v1", Ct));
    }

    private async Task AssertMirroredAsync(Containerd containerd, string repository)
    {
        var hub = await f.PushAsync(f.Hub, $"org/{repository}", "v1", $"docker.io org/{repository} v1");
        var ghcr = await f.PushAsync(f.Ghcr, $"org/{repository}", "v1", $"ghcr.io org/{repository} v1");

        // The right image for each name.
        await containerd.FetchAsync($"ghcr.io/org/{repository}:v1", cancellationToken: Ct);
        await containerd.FetchAsync($"docker.io/org/{repository}:v1", cancellationToken: Ct);
        Assert.Equal(ghcr.ManifestDigest, await containerd.ImageDigestAsync($"ghcr.io/org/{repository}:v1", Ct));
        Assert.Equal(hub.ManifestDigest, await containerd.ImageDigestAsync($"docker.io/org/{repository}:v1", Ct));

        // Pinned under the right registry.
        Assert.Equal(ghcr.ManifestDigest, await MirrorPins.PinnedDigestAsync(f, $"ghcr.io/org/{repository}:v1", Ct));
        Assert.Equal(hub.ManifestDigest, await MirrorPins.PinnedDigestAsync(f, $"docker.io/org/{repository}:v1", Ct));

        // A moved tag fails the pull, and the runtime's error carries the refusal's sentence.
        var moved = await f.PushAsync(f.Ghcr, $"org/{repository}", "v1", $"ghcr.io org/{repository} v1, moved");
        await containerd.CtrAsync(["images", "rm", $"ghcr.io/org/{repository}:v1"], cancellationToken: Ct);
        var refused = await containerd.FetchAsync($"ghcr.io/org/{repository}:v1", check: false, cancellationToken: Ct);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains($"tag \"ghcr.io/org/{repository}:v1\" moved: upstream now serves \"{moved.ManifestDigest}\", but it was pinned to \"{ghcr.ManifestDigest}\" by log entry", refused.StandardError, StringComparison.Ordinal);
        Assert.Null(await containerd.ImageDigestAsync($"ghcr.io/org/{repository}:v1", Ct));
        TestContext.Current.TestOutputHelper?.WriteLine("containerd on a moved tag: " + refused.StandardError.Trim());

        // Only the refusal: no host answered anything else (a 404 would mean a path was read wrong).
        Assert.DoesNotContain("StatusNotFound", refused.StandardError, StringComparison.Ordinal);
    }
}
