using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tlogistry.Transparency.Embedded;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>Faults upstream and in the data directory: clear OCI errors, never a pin, never a hang.</summary>
public sealed class HardeningTests
{
    private static readonly byte[] Manifest = Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{},\"layers\":[]}");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string?> ShortTimeouts = new()
    {
        ["Tlogistry:Upstream:ResponseTimeout"] = "00:00:01",
        ["Tlogistry:Upstream:IdleTimeout"] = "00:00:01",
    };

    [Fact]
    public async Task StallsResetsTruncationTokenFailuresAndRedirectLoopsGiveErrorsAndNoPin()
    {
        await using var upstream = await ScriptedRegistry.StartAsync();
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, ["scripted.test=" + upstream.BaseUri], ShortTimeouts, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        var never = new TaskCompletionSource();
        const string Tag = "/v2/scripted.test/x/manifests/v1";

        // No response headers within the response timeout.
        upstream.Handler = async c => await never.Task.WaitAsync(c.RequestAborted);
        await AssertError(http, Tag, HttpStatusCode.BadGateway, "did not answer");

        // Headers, then a body that stops.
        upstream.Handler = async c =>
        {
            c.Response.ContentLength = 1000;
            await c.Response.Body.WriteAsync(Manifest.AsMemory(0, 10));
            await c.Response.Body.FlushAsync();
            await never.Task.WaitAsync(c.RequestAborted);
        };
        await AssertError(http, Tag, HttpStatusCode.BadGateway, "sent nothing for 1 s");

        // A body cut short by a reset.
        upstream.Handler = async c =>
        {
            c.Response.ContentLength = 1000;
            await c.Response.Body.WriteAsync(Manifest.AsMemory(0, 10));
            await c.Response.Body.FlushAsync();
            c.Abort();
        };
        await AssertError(http, Tag, HttpStatusCode.BadGateway, "failed");

        // A redirect loop on a manifest by tag is not followed.
        upstream.Handler = c =>
        {
            c.Response.StatusCode = 302;
            c.Response.Headers.Location = c.Request.Path.Value;
            return Task.CompletedTask;
        };
        await AssertError(http, Tag, HttpStatusCode.BadGateway, "302");

        // A token service that fails, or answers garbage.
        var tokenAnswer = "";
        upstream.Handler = async c =>
        {
            if (c.Request.Path.StartsWithSegments("/token"))
            {
                c.Response.StatusCode = tokenAnswer.Length == 0 ? 500 : 200;
                await c.Response.WriteAsync(tokenAnswer);
                return;
            }

            c.Response.StatusCode = 401;
            c.Response.Headers.WWWAuthenticate = $"Bearer realm=\"{upstream.BaseUri}token\",service=\"scripted\"";
        };
        await AssertError(http, Tag, HttpStatusCode.BadGateway, "answered 500");
        tokenAnswer = "{\"token\": 42, \"garbage\": [";
        await AssertError(http, Tag, HttpStatusCode.BadGateway, "unusable token");
        tokenAnswer = "<html>not json</html>";
        await AssertError(http, Tag, HttpStatusCode.BadGateway, "unusable token");

        never.SetResult();
        var log = (EmbeddedLog)proxy.Services.GetService(typeof(EmbeddedLog))!;
        Assert.Equal(0, log.Size);
    }

    [Fact]
    public async Task ABlobStreamThatBreaksUpstreamBreaksTheClientStreamNotTheProxy()
    {
        await using var upstream = await ScriptedRegistry.StartAsync();
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, ["scripted.test=" + upstream.BaseUri], ShortTimeouts, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        var never = new TaskCompletionSource();
        var blob = "/v2/scripted.test/x/blobs/sha256:" + new string('b', 64);

        foreach (var stall in new[] { false, true })
        {
            upstream.Handler = async c =>
            {
                c.Response.ContentLength = 1 << 20;
                await c.Response.Body.WriteAsync(new byte[100_000]);
                await c.Response.Body.FlushAsync();
                if (stall)
                {
                    await never.Task.WaitAsync(c.RequestAborted);
                }

                c.Abort();
            };
            using var response = await http.GetAsync(blob, HttpCompletionOption.ResponseHeadersRead, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await Assert.ThrowsAnyAsync<Exception>(async () => await response.Content.ReadAsByteArrayAsync(Ct));
        }

        never.SetResult();
        using var v2 = await http.GetAsync("/v2/", Ct);
        Assert.Equal(HttpStatusCode.OK, v2.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("serve")]
    public async Task AnUnwritableLogGives503OrAnUnverifiedManifestByChoice(string? policy)
    {
        await using var upstream = await ScriptedRegistry.StartAsync();
        upstream.Handler = async c =>
        {
            c.Response.ContentType = "application/vnd.oci.image.manifest.v1+json";
            await c.Response.Body.WriteAsync(Manifest);
        };
        using var data = new TempDirectory();
        var settings = new Dictionary<string, string?>();
        if (policy is not null)
        {
            settings["Tlogistry:OnLogUnavailable"] = policy;
        }

        await using var proxy = await ProxyHost.StartAsync(data.Path, ["scripted.test=" + upstream.BaseUri], settings, Ct);

        // A file where the log must create its first entry directory: every append fails.
        var blocker = Path.Combine(data.Path, "log", "tile", "entries");
        Directory.CreateDirectory(Path.GetDirectoryName(blocker)!);
        await File.WriteAllTextAsync(blocker, "not a directory", Ct);

        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var response = await http.GetAsync("/v2/scripted.test/x/manifests/v1", Ct);
            if (policy is null)
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
                Assert.Equal("UNAVAILABLE", doc.RootElement.GetProperty("errors")[0].GetProperty("code").GetString());
                Assert.False(response.Headers.Contains("Tlog-Unverified"));
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("true", response.Headers.GetValues("Tlog-Unverified").Single());
                Assert.False(response.Headers.Contains("Tlog-First-Seen"));
                Assert.False(response.Headers.Contains("Tlog-Uuid"));
                Assert.Equal(Manifest, await response.Content.ReadAsByteArrayAsync(Ct));
            }
        }

        var log = (EmbeddedLog)proxy.Services.GetService(typeof(EmbeddedLog))!;
        Assert.Equal(0, log.Size);
    }

    [Fact]
    public async Task DeniedAndUnlistedRegistriesAreRefusedBeforeAnyUpstreamRequest()
    {
        await using var upstream = await ScriptedRegistry.StartAsync();
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, ["ghcr.io=" + upstream.BaseUri, "docker.io=" + upstream.BaseUri], new Dictionary<string, string?>
        {
            ["Tlogistry:Upstream:AllowRegistries:0"] = "docker.io",
            ["Tlogistry:Upstream:AllowRegistries:1"] = "ghcr.io",
            ["Tlogistry:Upstream:DenyRegistries:0"] = "ghcr.io",
        }, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        await AssertError(http, "/v2/ghcr.io/org/app/manifests/v1", HttpStatusCode.Forbidden, "denied");
        await AssertError(http, "/v2/quay.io/org/app/manifests/v1", HttpStatusCode.Forbidden, "not in this proxy's allowed registries");
        Assert.Equal(0, upstream.Requests);
        await AssertError(http, "/v2/alpine/manifests/v1", HttpStatusCode.NotFound, "not known");
        Assert.Equal(1, upstream.Requests);
    }

    [Fact]
    public async Task ALoopbackRegistryIsReachableOnlyWhenNamedOnPurpose()
    {
        await using var upstream = await ScriptedRegistry.StartAsync();
        var host = upstream.BaseUri.Authority;
        using var data = new TempDirectory();
        using (var unmapped = new TempDirectory())
        {
            await using var open = await ProxyHost.StartAsync(unmapped.Path, [], cancellationToken: Ct);
            using var client = new HttpClient { BaseAddress = open.BaseUri };
            await AssertError(client, $"/v2/{host}/x/manifests/v1", HttpStatusCode.Forbidden, "is loopback");
            Assert.Equal(0, upstream.Requests);
        }

        await using var proxy = await ProxyHost.StartAsync(data.Path, [$"{host}=http://{host}"], cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        await AssertError(http, $"/v2/{host}/x/manifests/v1", HttpStatusCode.NotFound, "not known");
        Assert.Equal(1, upstream.Requests);
    }

    [Fact]
    public async Task AClientOverItsRateGets429WithRetryAfter()
    {
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, [], new Dictionary<string, string?>
        {
            ["Tlogistry:RateLimitPerClient"] = "1",
            ["Tlogistry:RateLimitBurst"] = "3",
        }, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 10 && limited is null; i++)
        {
            var r = await http.GetAsync("/v2/", Ct);
            statuses.Add(r.StatusCode);
            if (r.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = r;
            }
            else
            {
                r.Dispose();
            }
        }

        Assert.NotNull(limited);
        using (limited)
        {
            Assert.True(statuses.Count >= 4, string.Join(",", statuses));
            Assert.NotNull(limited.Headers.RetryAfter);
            using var doc = JsonDocument.Parse(await limited.Content.ReadAsStringAsync(Ct));
            Assert.Equal("TOOMANYREQUESTS", doc.RootElement.GetProperty("errors")[0].GetProperty("code").GetString());
        }
    }

    private static async Task AssertError(HttpClient http, string path, HttpStatusCode status, string messagePart)
    {
        using var response = await http.GetAsync(path, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"{path}: {(int)response.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        Assert.Contains(messagePart, doc.RootElement.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
