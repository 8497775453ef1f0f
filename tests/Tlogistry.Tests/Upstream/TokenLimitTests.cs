using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Tlogistry.Upstream;

namespace Tlogistry.Tests.Upstream;

/// <summary>
/// A token service may answer any token; the proxy keeps only what fits. A token over 16 KiB is
/// a clear 502 and is never cached (each pull asks again); one at the limit is used and cached.
/// </summary>
public sealed class TokenLimitTests
{
    private static readonly byte[] Manifest = Encoding.UTF8.GetBytes(
        """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}""");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnOversizeTokenIsRefusedWith502AndNeverCachedAndOneAtTheLimitIsKept()
    {
        var tokenLength = TokenCache.MaxTokenLength + 1;
        var tokenRequests = 0;
        await using var upstream = await ScriptedRegistry.StartAsync();
        var realm = new Uri(upstream.BaseUri, "/token");
        upstream.Handler = async c =>
        {
            if (c.Request.Path == "/token")
            {
                Interlocked.Increment(ref tokenRequests);
                c.Response.ContentType = "application/json";
                await c.Response.WriteAsync(new JsonObject { ["token"] = new string('t', Volatile.Read(ref tokenLength)), ["expires_in"] = 3600 }.ToJsonString());
                return;
            }

            if (!c.Request.Headers.Authorization.ToString().StartsWith("Bearer ttt", StringComparison.Ordinal))
            {
                c.Response.StatusCode = 401;
                c.Response.Headers.WWWAuthenticate = $"Bearer realm=\"{realm}\",service=\"scripted\"";
                return;
            }

            c.Response.ContentType = "application/vnd.oci.image.manifest.v1+json";
            c.Response.ContentLength = Manifest.Length;
            await c.Response.Body.WriteAsync(Manifest);
        };

        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, ["scripted.test=" + upstream.BaseUri], null, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };

        for (var i = 1; i <= 2; i++)
        {
            using var refused = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct);
            Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
            using var doc = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Ct));
            Assert.Contains("over the 16 KiB limit", doc.RootElement.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Equal(i, Volatile.Read(ref tokenRequests));
        }

        // At the limit: served, and the second pull needs no new token.
        Volatile.Write(ref tokenLength, TokenCache.MaxTokenLength);
        for (var i = 0; i < 2; i++)
        {
            using var served = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        Assert.Equal(3, Volatile.Read(ref tokenRequests));
    }
}
