using Tlogistry.Upstream;

namespace Tlogistry.Tests.Upstream;

public sealed class TokenCacheTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void TokensExpireBeforeTheirLifetimeEnds()
    {
        var time = new ManualTime();
        using var cache = new TokenCache(time, new UpstreamOptions().TokenCacheBytes);
        cache.Put("docker.io repository:library/alpine:pull", "t1", TimeSpan.FromSeconds(60));
        Assert.Equal("t1", cache.Get("docker.io repository:library/alpine:pull"));

        // 60 s lifetime keeps a 12 s margin.
        time.Now += TimeSpan.FromSeconds(47);
        Assert.Equal("t1", cache.Get("docker.io repository:library/alpine:pull"));
        time.Now += TimeSpan.FromSeconds(2);
        Assert.Null(cache.Get("docker.io repository:library/alpine:pull"));
    }

    [Fact]
    public void TheCacheIsBoundedByTheBytesItHoldsWhateverTheTokens()
    {
        // Ten thousand repositories, each answered with the longest token accepted: 320 MB of
        // strings unbounded, held to 1 MiB here.
        const long Capacity = 1 << 20;
        using var cache = new TokenCache(new ManualTime(), Capacity);
        var token = new string('t', TokenCache.MaxTokenLength);
        for (var i = 0; i < 10_000; i++)
        {
            cache.Put($"hostile.test repository:r{i}:pull", token, TimeSpan.FromHours(1));
            Assert.InRange(cache.HeldBytes, 0, Capacity);
        }

        Assert.InRange(cache.Count, 1, Capacity / (2 * TokenCache.MaxTokenLength));

        // Small tokens still fit once the compaction has made room.
        cache.Put("docker.io repository:library/alpine:pull", "small", TimeSpan.FromHours(1));
        Assert.True(
            SpinWait.SpinUntil(
                () =>
                {
                    cache.Put("docker.io repository:library/alpine:pull", "small", TimeSpan.FromHours(1));
                    return cache.Get("docker.io repository:library/alpine:pull") == "small";
                },
                TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void ATokenOverTheLimitIsNeverKept()
    {
        using var cache = new TokenCache(new ManualTime(), new UpstreamOptions().TokenCacheBytes);
        cache.Put("r repository:big:pull", new string('t', TokenCache.MaxTokenLength + 1), TimeSpan.FromHours(1));
        Assert.Null(cache.Get("r repository:big:pull"));
        Assert.Equal(0, cache.HeldBytes);

        cache.Put("r repository:max:pull", new string('t', TokenCache.MaxTokenLength), TimeSpan.FromHours(1));
        Assert.NotNull(cache.Get("r repository:max:pull"));
    }

    [Fact]
    public void ACapacityOfZeroKeepsNothing()
    {
        using var cache = new TokenCache(new ManualTime(), 0);
        cache.Put("r repository:x:pull", "t", TimeSpan.FromHours(1));
        Assert.Null(cache.Get("r repository:x:pull"));
    }
}
