using Tlogistry.Tests.Deploy;

namespace Tlogistry.Tests.Mirrors;

/// <summary>
/// The files deploy/kubernetes/node-mirror writes on a node, used as they are by the real
/// runtimes: containerd with the hosts.toml files, podman with the registries.conf.d drop-in
/// (the syntax CRI-O reads), each pulling docker.io and ghcr.io images by their own names.
/// </summary>
[Trait("Category", "E2E")]
public sealed class NodeMirrorPullTests(MirrorFixture f) : IClassFixture<MirrorFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheNodeExamplesFilesSendContainerdAndPodmanPullsThroughTheProxy()
    {
        using var node = new TempDirectory("tlogistry-node-");
        Directory.CreateDirectory(node.Combine("etc", "containerd"));
        Directory.CreateDirectory(node.Combine("etc", "crio"));
        await NodeSetup.RunAsync(await NodeSetup.ConfigMapAsync(Ct), node.Path, $"http://{f.Proxy.HostPort}", Ct);
        var hub = await f.PushAsync(f.Hub, "org/node", "v1", "docker.io org/node v1");
        var ghcr = await f.PushAsync(f.Ghcr, "org/node", "v1", "ghcr.io org/node v1");

        await using (var containerd = await Containerd.StartAsync(Ct))
        {
            foreach (var registry in new[] { "docker.io", "ghcr.io" })
            {
                containerd.WriteHosts(registry, await File.ReadAllTextAsync(node.Combine("etc", "containerd", "certs.d", registry, "hosts.toml"), Ct));
                await containerd.FetchAsync($"{registry}/org/node:v1", cancellationToken: Ct);
            }

            Assert.Equal(ghcr.ManifestDigest, await containerd.ImageDigestAsync("ghcr.io/org/node:v1", Ct));
            Assert.Equal(hub.ManifestDigest, await containerd.ImageDigestAsync("docker.io/org/node:v1", Ct));
        }

        var dropIn = await File.ReadAllTextAsync(node.Combine("etc", "containers", "registries.conf.d", "50-tlogistry-mirror.conf"), Ct);
        using var podman = new Podman("unqualified-search-registries = []\nshort-name-mode = \"disabled\"\n\n" + dropIn);
        await podman.PullAsync("ghcr.io/org/node:v1", cancellationToken: Ct);
        await podman.PullAsync("docker.io/org/node:v1", cancellationToken: Ct);
        Assert.Equal(ghcr.ManifestDigest, await podman.ImageDigestAsync("ghcr.io/org/node:v1", Ct));
        Assert.Equal(hub.ManifestDigest, await podman.ImageDigestAsync("docker.io/org/node:v1", Ct));

        Assert.Equal(ghcr.ManifestDigest, await MirrorPins.PinnedDigestAsync(f, "ghcr.io/org/node:v1", Ct));
        Assert.Equal(hub.ManifestDigest, await MirrorPins.PinnedDigestAsync(f, "docker.io/org/node:v1", Ct));
    }
}
