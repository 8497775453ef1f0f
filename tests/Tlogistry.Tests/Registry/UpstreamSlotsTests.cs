using Tlogistry.Registry.Routing;

namespace Tlogistry.Tests.Registry;

/// <summary>The bound on upstream work in flight.</summary>
public sealed class UpstreamSlotsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ASlotGivenBackIsTakenAgainAndNoneIsHadWhileAllAreHeld()
    {
        using var slots = new UpstreamSlots(2, TimeSpan.Zero);

        Assert.True(await slots.TryTakeAsync(Ct));
        Assert.True(await slots.TryTakeAsync(Ct));
        Assert.False(await slots.TryTakeAsync(Ct));
        slots.Release();
        Assert.True(await slots.TryTakeAsync(Ct));
        Assert.False(await slots.TryTakeAsync(Ct));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public async Task ASettingBelowOneStillLetsOneRequestThrough(int count)
    {
        using var slots = new UpstreamSlots(count, TimeSpan.Zero);

        Assert.True(await slots.TryTakeAsync(Ct));
        Assert.False(await slots.TryTakeAsync(Ct));
    }

    [Fact]
    public async Task AWaitingRequestGetsTheSlotReleasedWhileItWaits()
    {
        using var slots = new UpstreamSlots(1, Timeout.InfiniteTimeSpan);
        Assert.True(await slots.TryTakeAsync(Ct));

        var waiting = slots.TryTakeAsync(Ct);
        Assert.False(waiting.IsCompleted);
        slots.Release();

        Assert.True(await waiting);
    }
}
