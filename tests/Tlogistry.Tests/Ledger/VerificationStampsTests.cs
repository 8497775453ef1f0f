using Tlogistry.Ledger;

namespace Tlogistry.Tests.Ledger;

public sealed class VerificationStampsTests
{
    private static readonly byte[] Key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private static readonly DateTimeOffset T0 = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private static readonly byte[] Row = System.Security.Cryptography.SHA256.HashData("row"u8);

    private static byte[] Other => System.Security.Cryptography.SHA256.HashData("another row"u8);

    [Fact]
    public void AStampOpensOnlyForItsRowTermsAndKeyAndGivesBackTheLogTime()
    {
        var stamps = new VerificationStamps(Key, ["terms"u8.ToArray()], []);
        var stamp = stamps.Seal(Row, T0.AddSeconds(-5), T0);
        Assert.True(stamps.TryOpen(stamp, Row, T0.AddDays(400), out var logTime));
        Assert.Equal(T0.AddSeconds(-5), logTime);

        Assert.False(stamps.TryOpen(stamp, Other, T0, out _));

        // Rows that agree in their first 16 bytes are still told apart.
        var twin = (byte[])Row.Clone();
        twin[31] ^= 1;
        Assert.False(stamps.TryOpen(stamp, twin, T0, out _));
        Assert.False(new VerificationStamps(Key, ["other terms"u8.ToArray()], []).TryOpen(stamp, Row, T0, out _));
        var otherKey = (byte[])Key.Clone();
        otherKey[0] ^= 1;
        var stranger = new VerificationStamps(otherKey, ["terms"u8.ToArray()], []);
        Assert.False(stranger.TryOpen(stamp, Row, T0, out _));
        Assert.False(stranger.MayReplace(stamp));
        Assert.True(stamps.MayReplace(stamp));
        Assert.True(stranger.MayReplace(null));

        // No stamp, or a log time of none.
        Assert.False(stamps.TryOpen(null, Row, T0, out _));
        Assert.True(stamps.TryOpen(stamps.Seal(Row, null, T0), Row, T0, out var none));
        Assert.Null(none);
    }

    [Fact]
    public void EveryByteOfAStampIsCovered()
    {
        var stamps = new VerificationStamps(Key, ["terms"u8.ToArray()], []);
        var stamp = stamps.Seal(Row, T0, T0);
        for (var i = 0; i < stamp.Length; i++)
        {
            var changed = (byte[])stamp.Clone();
            changed[i] ^= 0x40;
            Assert.False(stamps.TryOpen(changed, Row, T0.AddYears(1), out _), $"byte {i} changed");
        }

        Assert.False(stamps.TryOpen(stamp[..^1], Row, T0, out _));
        Assert.False(stamps.TryOpen([.. stamp, 0], Row, T0, out _));
    }

    [Fact]
    public void AValidityEndBetweenTheVerificationAndNowVoidsTheStamp()
    {
        var end = T0.AddHours(1);
        var stamps = new VerificationStamps(Key, ["terms"u8.ToArray()], [T0.AddDays(-30), end, T0.AddDays(30)]);
        var stamp = stamps.Seal(Row, T0, T0);
        Assert.True(stamps.TryOpen(stamp, Row, end, out _));
        Assert.False(stamps.TryOpen(stamp, Row, end.AddTicks(1), out _));

        // Made after that end: good until the next one.
        var later = stamps.Seal(Row, T0, end.AddMinutes(1));
        Assert.True(stamps.TryOpen(later, Row, T0.AddDays(29), out _));
        Assert.False(stamps.TryOpen(later, Row, T0.AddDays(31), out _));

        // A clock set back before the verification trusts nothing it stamped.
        Assert.False(stamps.TryOpen(stamp, Row, T0.AddTicks(-1), out _));
    }
}
