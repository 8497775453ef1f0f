using Tlogistry.Caching;

namespace Tlogistry.Tests.Caching;

public sealed class ByteBoundedCacheTests
{
    private const long Capacity = 64 * 1024;

    private static ByteBoundedCache<string, string> NewCache(long capacity = Capacity) =>
        new(capacity, static (k, v) => MemorySize.Of(k) + MemorySize.Of(v), StringComparer.Ordinal);

    [Fact]
    public void ManyDistinctKeysNeverHoldMoreBytesThanTheBound()
    {
        var cache = NewCache();
        for (var i = 0; i < 50_000; i++)
        {
            cache.Set($"registry.test/org/app:tag-{i}", "sha256:" + i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture));
            Assert.InRange(cache.HeldBytes, 0, Capacity);
        }

        // Full, yet still taking new keys: the newest is there, the oldest made room.
        Assert.True(cache.TryGet("registry.test/org/app:tag-49999", out _));
        Assert.False(cache.TryGet("registry.test/org/app:tag-0", out _));
        Assert.InRange(cache.Count, 1, (int)(Capacity / ByteBoundedCache<string, string>.EntryOverheadBytes));
        Assert.Equal(cache.Count * (MemorySize.Of("registry.test/org/app:tag-49999") + MemorySize.Of("sha256:" + new string('0', 64)) + ByteBoundedCache<string, string>.EntryOverheadBytes), cache.HeldBytes, tolerance: cache.Count * 20);
    }

    [Fact]
    public void HugeKeysAreChargedForTheirLengthAndOneOverTheBoundIsNotKept()
    {
        var cache = NewCache();
        var huge = new string('a', (int)Capacity);
        Assert.False(cache.Set(huge, "x"));
        Assert.False(cache.TryGet(huge, out _));
        Assert.Equal(0, cache.HeldBytes);

        // Keys of a quarter of the bound each: at most three fit with their overhead.
        for (var i = 0; i < 100; i++)
        {
            Assert.True(cache.Set(new string((char)('a' + (i % 26)), (int)(Capacity / 8) - 64) + i, "v"));
            Assert.InRange(cache.HeldBytes, 0, Capacity);
            Assert.InRange(cache.Count, 1, 3);
        }
    }

    [Fact]
    public void AKeyReadSinceTheHandPassedOutlivesOnesNeverRead()
    {
        var cache = NewCache(16 * 1024);
        cache.Set("warm", "pinned");
        for (var i = 0; i < 10_000; i++)
        {
            Assert.True(cache.TryGet("warm", out var value));
            Assert.Equal("pinned", value);
            cache.Set("cold-" + i, "once");
        }

        Assert.True(cache.TryGet("warm", out _));
        Assert.False(cache.TryGet("cold-0", out _));
    }

    [Fact]
    public void ReplacingAndRemovingKeepTheByteCountExact()
    {
        var cache = NewCache();
        cache.Set("k", new string('x', 1000));
        var one = cache.HeldBytes;
        for (var i = 0; i < 1000; i++)
        {
            cache.Set("k", new string('x', 1000));
        }

        Assert.Equal(one, cache.HeldBytes);
        Assert.Equal(1, cache.Count);
        cache.Set("k", "short");
        Assert.True(cache.HeldBytes < one);
        Assert.True(cache.Remove("k"));
        Assert.False(cache.Remove("k"));
        Assert.Equal(0, cache.HeldBytes);
        cache.Set("a", "1");
        cache.Clear();
        Assert.Equal(0, cache.HeldBytes);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void AZeroBoundKeepsNothing()
    {
        var cache = NewCache(0);
        Assert.False(cache.Set("k", "v"));
        Assert.False(cache.TryGet("k", out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => NewCache(-1));
    }

    [Fact]
    public async Task ConcurrentWritersAndReadersStayWithinTheBound()
    {
        var cache = NewCache();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                cache.Set($"w{w}-{i}-" + new string('k', i % 300), "v");
                cache.TryGet($"w{w}-{i / 2}-" + new string('k', (i / 2) % 300), out _);
                if (i % 7 == 0)
                {
                    cache.Remove($"w{w}-{i - 3}-" + new string('k', (i - 3 + 300) % 300));
                }

                Assert.InRange(cache.HeldBytes, 0, Capacity);
            }
        })).ToArray();
        await Task.WhenAll(writers);
        Assert.InRange(cache.HeldBytes, 0, Capacity);
    }
}
