using Tlogistry.Host;

namespace Tlogistry.Tests.Host;

/// <summary>The settings of held pins read as documented, and a mistyped one stops the start with its name.</summary>
public sealed class HeldPinSettingsTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("45s", 45)]
    [InlineData("5m", 300)]
    [InlineData("2h", 7200)]
    [InlineData("1d", 86400)]
    public void ADurationIsAWholeNumberWithAUnit(string text, int seconds)
    {
        var settings = new TlogistryOptions { RevalidateAfter = text }.ParseHeldPinSettings();
        Assert.Equal(TimeSpan.FromSeconds(seconds), settings.RevalidateAfter);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("-5m")]
    [InlineData("1.5h")]
    [InlineData("5 minutes")]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("99999999999999999999s")]
    public void AnythingElseIsRefusedNamingTheFlag(string text)
    {
        var refused = Assert.Throws<FormatException>(() => new TlogistryOptions { RevalidateAfter = text }.ParseHeldPinSettings());
        Assert.Contains("--revalidate-after", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDefaultsServeStaleAskEveryTimeAndHold256MiB()
    {
        var settings = new TlogistryOptions().ParseHeldPinSettings();
        Assert.Equal((256L << 20, TimeSpan.Zero, true), (settings.MaxBytes, settings.RevalidateAfter, settings.ServeOnUpstreamError));
        Assert.False(new TlogistryOptions { OnUpstreamError = "FAIL" }.ParseHeldPinSettings().ServeOnUpstreamError);
    }

    [Fact]
    public void AnUnknownPolicyOrANegativeBoundIsRefused()
    {
        Assert.Contains("--on-upstream-error", Assert.Throws<FormatException>(() => new TlogistryOptions { OnUpstreamError = "serve" }.ParseHeldPinSettings()).Message, StringComparison.Ordinal);
        Assert.Contains("--held-manifest-bytes", Assert.Throws<FormatException>(() => new TlogistryOptions { HeldManifestBytes = -1 }.ParseHeldPinSettings()).Message, StringComparison.Ordinal);
    }
}
