using System.Net;
using Tlogistry.Registry.Tags;

namespace Tlogistry.Tests.Registry;

/// <summary>The first-sighting budget: whose it is, and what an empty one answers.</summary>
public sealed class FirstSightingLimiterTests
{
    [Theory]
    [InlineData("192.0.2.7", "192.0.2.7")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::/64")]
    [InlineData("::1", "::/64")]
    public void AClientIsItsIPv4AddressOrItsIPv664(string address, string key) =>
        Assert.Equal(key, FirstSightingLimiter.ClientKey(IPAddress.Parse(address)));

    [Fact]
    public void ASpentBudgetSaysWhenToRetryAndOthersKeepTheirs()
    {
        using var limiter = FirstSightingLimiter.Create(perMinute: 0.001, burst: 2)!;
        var a = IPAddress.Parse("2001:db8::1");
        var sameBlock = IPAddress.Parse("2001:db8::2");
        Assert.True(limiter.TryAcquire(a, "r:1", out _));
        Assert.True(limiter.TryAcquire(sameBlock, "r:2", out _));
        Assert.False(limiter.TryAcquire(a, "r:3", out var retry));
        Assert.True(retry > TimeSpan.Zero);
        Assert.True(limiter.TryAcquire(IPAddress.Parse("2001:db8:0:1::1"), "r:4", out _));
        Assert.True(limiter.TryAcquire(IPAddress.Parse("198.51.100.1"), "r:5", out _));
    }

    [Fact]
    public void ATagIsChargedOnceHoweverManyAskForItAtFirst()
    {
        using var limiter = FirstSightingLimiter.Create(perMinute: 0.001, burst: 1)!;
        var client = IPAddress.Parse("192.0.2.1");
        for (var i = 0; i < 50; i++)
        {
            Assert.True(limiter.TryAcquire(client, "app:new", out _));
        }

        Assert.False(limiter.TryAcquire(client, "app:other", out _));
    }

    [Fact]
    public void ZeroIsOffAndNonsenseIsRefused()
    {
        Assert.Null(FirstSightingLimiter.Create(0, 60));
        Assert.Throws<FormatException>(() => FirstSightingLimiter.Create(-1, 60));
        Assert.Throws<FormatException>(() => FirstSightingLimiter.Create(double.NaN, 60));
        Assert.Throws<FormatException>(() => FirstSightingLimiter.Create(60, 0));
    }
}
