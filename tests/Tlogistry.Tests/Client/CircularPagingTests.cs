using Microsoft.AspNetCore.Http;
using Tlogistry.Client;

namespace Tlogistry.Tests.Client;

/// <summary>A hostile proxy whose listings never end: a next page that leads back to one already read is refused.</summary>
public sealed class CircularPagingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/tlog/bundles?image=scripted.test%2Fapp&after=a&limit=1")]
    [InlineData("/tlog/bundles?image=scripted.test%2Fapp")]
    public async Task AnImageListingThatGoesRoundInACircleIsRefused(string loopTo)
    {
        await using var proxy = await ScriptedRegistry.StartAsync();
        proxy.Handler = c =>
        {
            // Every page is empty and names a next one; after the first, always the same.
            c.Response.ContentType = "application/x-ndjson";
            c.Response.Headers.Link = $"<{loopTo}>; rel=\"next\"";
            return Task.CompletedTask;
        };
        using var client = new ProxyClient(proxy.BaseUri);
        var e = await Assert.ThrowsAsync<ClientException>(() => client.ImageBundlesAsync("scripted.test/app", Ct));
        Assert.Contains("round in a circle", e.Message, StringComparison.Ordinal);
        Assert.InRange(proxy.Requests, 1, 3);
    }

    [Fact]
    public async Task AnIntentListingAndAnExportThatGoRoundInACircleAreRefused()
    {
        await using var proxy = await ScriptedRegistry.StartAsync();
        proxy.Handler = c =>
        {
            c.Response.ContentType = "application/x-ndjson";
            c.Response.Headers.Link = c.Request.Path.StartsWithSegments("/tlog/intents", StringComparison.Ordinal)
                ? "</tlog/intents?after=5&limit=100>; rel=\"next\""
                : "</tlog/bundles?after=5&limit=100>; rel=\"next\"";
            return Task.CompletedTask;
        };
        using var client = new ProxyClient(proxy.BaseUri);
        var e = await Assert.ThrowsAsync<ClientException>(() => client.IntentsAsync(Ct));
        Assert.Contains("round in a circle", e.Message, StringComparison.Ordinal);

        var export = await Assert.ThrowsAsync<HttpRequestException>(async () =>
        {
            await foreach (var _ in BundleExport.ReadAsync(new Uri(proxy.BaseUri, "/tlog/bundles").AbsoluteUri, Ct))
            {
            }
        });
        Assert.Contains("round in a circle", export.Message, StringComparison.Ordinal);
    }
}
