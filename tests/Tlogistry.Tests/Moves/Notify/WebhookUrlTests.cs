using Tlogistry.Moves.Notify;

namespace Tlogistry.Tests.Moves.Notify;

/// <summary><c>--notify</c> values: http(s) URLs only, checked at start, and logged without their secret parts.</summary>
public sealed class WebhookUrlTests
{
    [Theory]
    [InlineData("")]
    [InlineData("hooks.example.com/x")]
    [InlineData("/relative/path")]
    [InlineData("ftp://hooks.example.com/x")]
    [InlineData("file:///etc/passwd")]
    [InlineData("https://user:pw@hooks.example.com/x")]
    [InlineData("https://hooks.example.com/x#frag")]
    public void RefusesWhatIsNotAPlainHttpUrl(string text)
    {
        var e = Assert.Throws<FormatException>(() => WebhookUrl.Parse(text));
        Assert.StartsWith("--notify", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pw", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://sekrit-user:sekrit-pw@hooks.example.com/sekrit-path?sekrit-query=1")]
    [InlineData("https://hooks.example.com/sekrit-path?sekrit-query=1#sekrit-fragment")]
    [InlineData("ftp://hooks.example.com/sekrit-path?sekrit-query=1")]
    [InlineData("gopher:sekrit-path?sekrit-query=1")]
    [InlineData("hooks.example.com/sekrit-path?sekrit-query=1")]
    public void ARefusalNeverRepeatsTheSecretPartsOfTheValue(string text)
    {
        var e = Assert.Throws<FormatException>(() => WebhookUrl.Parse(text));
        Assert.DoesNotContain("sekrit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARefusalOfUserInfoNamesTheOriginItWasGivenFor()
    {
        var e = Assert.Throws<FormatException>(() => WebhookUrl.Parse("https://u:p@hooks.example.com:8443/x"));
        Assert.Contains("https://hooks.example.com:8443", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShowsOnlyTheOriginOfAUrlThatCarriesASecret()
    {
        var url = WebhookUrl.Parse("https://hooks.example.com:8443/services/T0/B0/s3cret?token=s3cret");
        Assert.Equal("https://hooks.example.com:8443", url.Display);
        Assert.Equal("/services/T0/B0/s3cret?token=s3cret", url.Url.PathAndQuery);
    }

    [Fact]
    public void RefusesTheSameUrlTwice() =>
        Assert.Throws<FormatException>(() => WebhookUrl.ParseAll(["https://a.example/x", "https://b.example/x", "https://a.example/x"]));
}
