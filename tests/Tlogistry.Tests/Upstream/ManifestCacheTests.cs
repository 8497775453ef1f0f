using System.Security.Cryptography;
using Tlogistry.Oci;
using Tlogistry.Upstream;
using static Tlogistry.Tests.Support.Data.Registries;

namespace Tlogistry.Tests.Upstream;

public sealed class ManifestCacheTests
{
    private static readonly ImageName Repo = new(Named("registry.test"), "org/app");

    [Fact]
    public void HoldsNoMoreBytesThanItsCapacityAndKeepsServingNewManifests()
    {
        using var cache = new ManifestCache(64 * 1024);
        for (var i = 0; i < 200; i++)
        {
            var m = Manifest(i, 4 * 1024);
            cache.Add(Repo, m);
            Assert.InRange(cache.HeldBytes, 0, 64 * 1024);
        }

        // Compaction runs in the background: a later manifest is taken once room is made.
        var last = Manifest(1000, 4 * 1024);
        var held = false;
        for (var attempt = 0; attempt < 200 && !held; attempt++)
        {
            cache.Add(Repo, last);
            held = cache.TryGet(Repo, last.Digest, out _);
            if (!held)
            {
                Thread.Sleep(10);
            }
        }

        Assert.True(held);
        Assert.True(cache.TryGet(Repo, last.Digest, out var got));
        Assert.Equal(last.Bytes, got.Bytes);
        Assert.InRange(cache.HeldBytes, 1, 64 * 1024);
    }

    [Fact]
    public void KeysArePerRepositoryAndHeadsOversizedOrOffCachesKeepNothing()
    {
        using var cache = new ManifestCache(16 * 1024);
        var m = Manifest(1, 100);
        cache.Add(Repo, m);
        Assert.True(cache.TryGet(Repo, m.Digest, out var got));
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", got.MediaType);
        Assert.False(cache.TryGet(new ImageName(Named("registry.test"), "org/other"), m.Digest, out _));
        Assert.False(cache.TryGet(new ImageName(Named("other.test"), "org/app"), m.Digest, out _));

        var head = m with { Bytes = null, Digest = "sha256:" + new string('1', 64) };
        cache.Add(Repo, head);
        Assert.False(cache.TryGet(Repo, head.Digest, out _));

        var big = Manifest(2, 17 * 1024);
        cache.Add(Repo, big);
        Assert.False(cache.TryGet(Repo, big.Digest, out _));

        using var off = new ManifestCache(0);
        Assert.False(off.Enabled);
        off.Add(Repo, m);
        Assert.False(off.TryGet(Repo, m.Digest, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ManifestCache(-1));
    }

    private static UpstreamManifest Manifest(int seed, int size)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return new UpstreamManifest(bytes, "application/vnd.oci.image.manifest.v1+json", "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)), size, new Uri("http://registry.test/"));
    }
}
