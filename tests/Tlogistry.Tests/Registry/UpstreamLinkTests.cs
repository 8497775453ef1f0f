using Microsoft.AspNetCore.Http;
using Tlogistry.Oci;
using Tlogistry.Registry.PassThrough;

namespace Tlogistry.Tests.Registry;

/// <summary>Which pagination links from upstream reach the client, and how they read.</summary>
public sealed class UpstreamLinkTests
{
    private static readonly Uri Requested = new("https://registry.example:5000/v2/library/alpine/tags/list?n=2");
    private const string Proxied = "/v2/alpine/tags/list";
    private static readonly ForwardedRoute TagsList = ForwardedRoute.For(RegistryRoute.Parse("GET", Proxied), new QueryCollection());

    [Theory]
    [InlineData("</v2/library/alpine/tags/list?last=b&n=2>; rel=\"next\"", "</v2/alpine/tags/list?last=b&n=2>; rel=\"next\"")]
    [InlineData("<?last=b&n=2>; rel=next", "</v2/alpine/tags/list?last=b&n=2>; rel=\"next\"")]
    [InlineData("<list?last=b>; rel=\"next\"", "</v2/alpine/tags/list?last=b>; rel=\"next\"")]
    [InlineData("<https://registry.example:5000/v2/library/alpine/tags/list?last=b>; rel=\"next\"", "</v2/alpine/tags/list?last=b>; rel=\"next\"")]
    [InlineData("<HTTPS://REGISTRY.EXAMPLE:5000/v2/library/alpine/tags/list?last=b>; rel=\"next\"", "</v2/alpine/tags/list?last=b>; rel=\"next\"")]
    [InlineData("<//registry.example:5000/v2/library/alpine/tags/list?last=b>; rel=\"next\"", "</v2/alpine/tags/list?last=b>; rel=\"next\"")]
    [InlineData("  </v2/library/alpine/tags/list?last=b>;rel=\"prev next\";title=\"x\"", "</v2/alpine/tags/list?last=b>; rel=\"next\"")]
    [InlineData("</v2/library/alpine/tags/list>; rel=\"next\"", "</v2/alpine/tags/list>; rel=\"next\"")]
    public void ANextPageOfTheSameEndpointUpstreamComesBackToTheProxy(string link, string expected) =>
        Assert.Equal(expected, UpstreamLink.Rewrite(link, Requested, Proxied, TagsList));

    [Theory]
    [InlineData("<//evil.example/v2/library/alpine/tags/list?last=b>; rel=\"next\"")]
    [InlineData("<https://evil.example/v2/library/alpine/tags/list?last=b>; rel=\"next\"")]
    [InlineData("<http://registry.example:5000/v2/library/alpine/tags/list?last=b>; rel=\"next\"")]
    [InlineData("<https://registry.example/v2/library/alpine/tags/list?last=b>; rel=\"next\"")]
    [InlineData("<https://registry.example:5001/v2/library/alpine/tags/list?last=b>; rel=\"next\"")]
    [InlineData("<https://user:pw@registry.example:5000/v2/library/alpine/tags/list?last=b>; rel=\"next\"")]
    [InlineData("<//user@registry.example:5000/v2/library/alpine/tags/list>; rel=\"next\"")]
    [InlineData("<javascript:alert(1)>; rel=\"next\"")]
    [InlineData("<ftp://registry.example:5000/v2/library/alpine/tags/list>; rel=\"next\"")]
    [InlineData("</v2/library/other/tags/list?last=b>; rel=\"next\"")]
    [InlineData("</v2/library/alpine/blobs/sha256:00>; rel=\"next\"")]
    [InlineData("</v2/library/alpine/tags/list/../../other/tags/list>; rel=\"next\"")]
    [InlineData("</healthz>; rel=\"next\"")]
    [InlineData("<\\\\evil.example/v2/library/alpine/tags/list>; rel=\"next\"")]
    [InlineData("</v2/library/alpine/tags/list?last=b>; rel=\"prev\"")]
    [InlineData("</v2/library/alpine/tags/list?last=b>")]
    [InlineData("/v2/library/alpine/tags/list?last=b; rel=\"next\"")]
    [InlineData("</v2/library/alpine/tags/list?last=b c>; rel=\"next\"")]
    [InlineData("</v2/library/alpine/tags/list?last=\"><x>; rel=\"next\"")]
    [InlineData("</v2/library/alpine/tags/list?last=b>; rel=\"next\", <https://evil.example/>; rel=\"next\"")]
    public void ALinkAnywhereElseIsDropped(string link) =>
        Assert.Null(UpstreamLink.Rewrite(link, Requested, Proxied, TagsList));
}
