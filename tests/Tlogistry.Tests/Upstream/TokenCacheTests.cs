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
    public void Tokens_expire_before_their_lifetime_ends()
    {
        var time = new ManualTime();
        var cache = new TokenCache(time);
        cache.Put("docker.io repository:library/alpine:pull", "t1", TimeSpan.FromSeconds(60));
        Assert.Equal("t1", cache.Get("docker.io repository:library/alpine:pull"));

        // 60 s lifetime keeps a 12 s margin.
        time.Now += TimeSpan.FromSeconds(47);
        Assert.Equal("t1", cache.Get("docker.io repository:library/alpine:pull"));
        time.Now += TimeSpan.FromSeconds(2);
        Assert.Null(cache.Get("docker.io repository:library/alpine:pull"));
    }

    [Fact]
    public void The_cache_stays_bounded_and_keeps_the_longest_lived_tokens()
    {
        var time = new ManualTime();
        var cache = new TokenCache(time, capacity: 100);
        for (var i = 0; i < 1000; i++)
        {
            cache.Put($"r repository:x{i}:pull", $"t{i}", TimeSpan.FromSeconds(60 + i));
        }

        Assert.InRange(cache.Count, 1, 100);
        Assert.Equal("t999", cache.Get("r repository:x999:pull"));
        Assert.Null(cache.Get("r repository:x0:pull"));
    }
}
