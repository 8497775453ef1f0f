using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Tlogistry.Oci;
using Tlogistry.Registry.PassThrough;

namespace Tlogistry.Tests.Registry;

/// <summary>Which headers cross the proxy on a pass-through, each way, and how a pagination link comes back.</summary>
public sealed class PassThroughHeadersTests
{
    private static readonly Uri Requested = new("https://registry.example/v2/library/alpine/tags/list?n=2");
    private const string Proxied = "/v2/alpine/tags/list";
    private static readonly ForwardedRoute TagsList = ForwardedRoute.For(RegistryRoute.Parse("GET", Proxied), new QueryCollection());

    [Fact]
    public void TheListedResponseHeadersAreCopiedAndNoOthers()
    {
        using var upstream = Answer(new ByteArrayContent(new byte[5]));
        // As read off the wire: the length is a header upstream sent.
        upstream.Content.Headers.ContentLength = 5;
        upstream.Headers.ETag = new System.Net.Http.Headers.EntityTagHeaderValue("\"abc\"");
        upstream.Headers.TryAddWithoutValidation("Docker-Content-Digest", "sha256:" + new string('1', 64));
        upstream.Headers.TryAddWithoutValidation("Set-Cookie", "session=secret");
        upstream.Headers.TryAddWithoutValidation("WWW-Authenticate", "Bearer realm=\"https://auth.example/token\"");
        upstream.Headers.TryAddWithoutValidation("X-Upstream-Node", "cache-7");
        upstream.Headers.TryAddWithoutValidation("Accept-Ranges", "bytes");
        var response = new DefaultHttpContext().Response;

        PassThroughHeaders.CopyResponse(upstream, response, Proxied, TagsList);

        Assert.Equal("5", response.Headers.ContentLength?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("\"abc\"", response.Headers.ETag.ToString());
        Assert.Equal("sha256:" + new string('1', 64), response.Headers["Docker-Content-Digest"].ToString());
        Assert.Equal("bytes", response.Headers.AcceptRanges.ToString());
        Assert.False(response.Headers.ContainsKey("Set-Cookie"));
        Assert.False(response.Headers.ContainsKey("WWW-Authenticate"));
        Assert.False(response.Headers.ContainsKey("X-Upstream-Node"));
        Assert.False(response.Headers.ContainsKey("Link"));
    }

    [Fact]
    public void ANextPageLinkComesBackToTheProxysOwnPath()
    {
        using var upstream = Answer(new ByteArrayContent([]));
        upstream.Headers.TryAddWithoutValidation("Link", "</v2/library/alpine/tags/list?n=2&last=b>; rel=\"next\"");
        var response = new DefaultHttpContext().Response;

        PassThroughHeaders.CopyResponse(upstream, response, Proxied, TagsList);

        Assert.Equal("</v2/alpine/tags/list?n=2&last=b>; rel=\"next\"", response.Headers["Link"].ToString());
    }

    [Fact]
    public void ALinkElsewhereIsDroppedAndTheFirstGoodOneIsKept()
    {
        using var away = Answer(new ByteArrayContent([]));
        away.Headers.TryAddWithoutValidation("Link", "<https://evil.example/v2/library/alpine/tags/list?last=b>; rel=\"next\"");
        var dropped = new DefaultHttpContext().Response;
        PassThroughHeaders.CopyResponse(away, dropped, Proxied, TagsList);
        Assert.False(dropped.Headers.ContainsKey("Link"));

        using var both = Answer(new ByteArrayContent([]));
        both.Headers.TryAddWithoutValidation("Link", "<https://evil.example/x?last=a>; rel=\"next\"");
        both.Headers.TryAddWithoutValidation("Link", "<?last=c>; rel=\"next\"");
        var kept = new DefaultHttpContext().Response;
        PassThroughHeaders.CopyResponse(both, kept, Proxied, TagsList);
        Assert.Equal("</v2/alpine/tags/list?last=c>; rel=\"next\"", kept.Headers["Link"].ToString());
    }

    [Fact]
    public void AManifestAsksUpstreamForTheServedTypesWhateverTheClientAccepts()
    {
        var request = new DefaultHttpContext().Request;
        request.Headers.Accept = "text/html";
        using var manifest = new HttpRequestMessage(HttpMethod.Get, Requested);
        using var blob = new HttpRequestMessage(HttpMethod.Get, Requested);

        PassThroughHeaders.CopyRequest(request, manifest, manifest: true);
        PassThroughHeaders.CopyRequest(request, blob, manifest: false);

        Assert.Equal(MediaTypes.ManifestAccept, string.Join(", ", manifest.Headers.GetValues("Accept")));
        Assert.Equal("text/html", string.Join(", ", blob.Headers.GetValues("Accept")));
    }

    [Fact]
    public void RangeAndIfRangeArePassedAndOtherRequestHeadersAreNot()
    {
        var request = new DefaultHttpContext().Request;
        request.Headers.Range = "bytes=0-99";
        request.Headers.IfRange = "\"abc\"";
        request.Headers.Authorization = "Bearer client-token";
        request.Headers.Cookie = "a=b";
        using var message = new HttpRequestMessage(HttpMethod.Get, Requested);

        PassThroughHeaders.CopyRequest(request, message, manifest: false);

        Assert.Equal("bytes=0-99", message.Headers.Range?.ToString());
        Assert.Equal("\"abc\"", string.Join(", ", message.Headers.GetValues("If-Range")));
        Assert.Null(message.Headers.Authorization);
        Assert.False(message.Headers.Contains("Cookie"));
        Assert.False(message.Headers.Contains("Accept"));
    }

    [Fact]
    public void ATagListAsksUpstreamWithItsOwnParametersOnly()
    {
        var route = RegistryRoute.Parse("GET", "/v2/alpine/tags/list");
        var query = new QueryCollection(new Dictionary<string, StringValues>
        {
            ["last"] = "a/b c",
            ["n"] = "10",
            ["artifactType"] = "x",
            ["callback"] = "evil",
        });

        var forwarded = ForwardedRoute.For(route, query);

        Assert.Equal("tags/list?n=10&last=a%2Fb%20c", forwarded.Suffix);
        Assert.Equal(OciErrorCodes.NameUnknown, forwarded.NotFoundCode);
        Assert.False(forwarded.Manifest);
        Assert.Equal("/v2/alpine/tags/list", forwarded.ProxiedPath(route));
    }

    [Theory]
    [InlineData("/v2/alpine/blobs/{0}", "blobs/{0}", OciErrorCodes.BlobUnknown, false, "/v2/alpine/blobs/{0}")]
    [InlineData("/v2/docker.io/library/alpine/manifests/{0}", "manifests/{0}", OciErrorCodes.ManifestUnknown, true, "/v2/docker.io/library/alpine/manifests/{0}")]
    [InlineData("/v2/alpine/referrers/{0}", "referrers/{0}?artifactType=application%2Fx", OciErrorCodes.ManifestUnknown, false, "/v2/alpine/referrers/{0}")]
    public void EachPassThroughRouteNamesItsUpstreamPathAndItsUnknownCode(string path, string suffix, string notFound, bool manifest, string proxied)
    {
        var digest = "sha256:" + new string('e', 64);
        var route = RegistryRoute.Parse("GET", string.Format(System.Globalization.CultureInfo.InvariantCulture, path, digest));
        var query = new QueryCollection(new Dictionary<string, StringValues> { ["artifactType"] = "application/x", ["n"] = "3" });

        var forwarded = ForwardedRoute.For(route, query);

        Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, suffix, digest), forwarded.Suffix);
        Assert.Equal(notFound, forwarded.NotFoundCode);
        Assert.Equal(manifest, forwarded.Manifest);
        Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, proxied, digest), forwarded.ProxiedPath(route));
    }

    private static HttpResponseMessage Answer(HttpContent content) =>
        new(HttpStatusCode.OK) { Content = content, RequestMessage = new HttpRequestMessage(HttpMethod.Get, Requested) };
}
