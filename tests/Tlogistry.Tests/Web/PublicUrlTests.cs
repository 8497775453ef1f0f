using Tlogistry.Web;

namespace Tlogistry.Tests.Web;

/// <summary>The address the pages' commands name: the operator's setting, checked, or a placeholder.</summary>
public sealed class PublicUrlTests
{
    [Theory]
    [InlineData("https://registry.example.com", "https://registry.example.com")]
    [InlineData("https://registry.example.com/", "https://registry.example.com")]
    [InlineData("http://127.0.0.1:8080", "http://127.0.0.1:8080")]
    [InlineData(" https://Registry.Example.com:8443/base/ ", "https://registry.example.com:8443/base")]
    public void AConfiguredUrlIsUsedAsGivenWithoutATrailingSlash(string text, string origin)
    {
        var url = PublicUrl.Parse(text);
        Assert.True(url.Configured);
        Assert.Equal(origin, url.Origin);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void UnsetIsThePlaceholder(string? text)
    {
        var url = PublicUrl.Parse(text);
        Assert.False(url.Configured);
        Assert.Equal(PublicUrl.Placeholder, url.Origin);
    }

    [Theory]
    [InlineData("registry.example.com")]
    [InlineData("/relative")]
    [InlineData("ftp://registry.example.com")]
    [InlineData("javascript:alert(1)")]
    [InlineData("https://user:pw@registry.example.com")]
    [InlineData("https://registry.example.com/?q=1")]
    [InlineData("https://registry.example.com/#x")]
    public void AnythingButAnHttpUrlOfItsOwnIsRefused(string text) =>
        Assert.Contains("--public-url", Assert.Throws<FormatException>(() => PublicUrl.Parse(text)).Message, StringComparison.Ordinal);
}
