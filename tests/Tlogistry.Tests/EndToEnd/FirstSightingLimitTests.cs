using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tlogistry.Store;
using Tlogistry.Transparency.Embedded;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// A client that asks for a new tag every request (an upstream that invents one per request
/// helps it) cannot grow the log faster than its first-sighting budget; what is already pinned,
/// and other clients, are not held back.
/// </summary>
[Trait("Category", "E2E")]
public sealed class FirstSightingLimitTests
{
    private const int Burst = 3;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NewTagsOverAClientsBudgetAnswer429AndAppendNothingWhilePinnedTagsAndOtherClientsAreServed()
    {
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        // One sighting refills every 10,000 minutes: within the test the budget is the burst alone.
        var settings = new Dictionary<string, string?>
        {
            ["Tlogistry:FirstSightingsPerMinute"] = "0.0001",
            ["Tlogistry:FirstSightingBurst"] = Burst.ToString(CultureInfo.InvariantCulture),
        };
        await using var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct);
        var log = proxy.Services.GetRequiredService<EmbeddedLog>();
        using var first = Client(proxy, IPAddress.Loopback);

        // Burst + 2 new tags: the first Burst are recorded, the rest refused before the ledger.
        var answers = new List<HttpStatusCode>();
        string? digest = null;
        for (var i = 0; i < Burst + 2; i++)
        {
            using var response = await first.GetAsync($"/v2/scripted.test/app/manifests/new{i}", Ct);
            answers.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal("true", response.Headers.GetValues("Tlog-First-Seen").Single());
                digest ??= response.Headers.GetValues("Docker-Content-Digest").Single();
                continue;
            }

            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "no Retry-After");
            Assert.False(response.Headers.Contains("Tlog-Uuid"));
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            Assert.Equal("TOOMANYREQUESTS", body.RootElement.GetProperty("errors")[0].GetProperty("code").GetString());
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, Burst), HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], answers);
        Assert.Equal(Burst, log.Size);
        Assert.Equal(Burst, (await proxy.Services.GetRequiredService<ISightingIndex>().ListAsync(0, 100, Ct)).Sightings.Count);

        // A HEAD of a new tag would be a first sighting too.
        using (var head = await first.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v2/scripted.test/app/manifests/head-new"), Ct))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, head.StatusCode);
        }

        // With its budget spent, the client still pulls what is pinned: tags (GET and HEAD), digests, blobs.
        for (var i = 0; i < Burst; i++)
        {
            using var warm = await first.GetAsync($"/v2/scripted.test/app/manifests/new{i}", Ct);
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
            Assert.False(warm.Headers.Contains("Tlog-First-Seen"));
            using var warmHead = await first.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/scripted.test/app/manifests/new{i}"), Ct);
            Assert.Equal(HttpStatusCode.OK, warmHead.StatusCode);
        }

        using (var byDigest = await first.GetAsync("/v2/scripted.test/app/manifests/" + digest, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
        }

        using (var blob = await first.GetAsync("/v2/scripted.test/app/blobs/sha256:" + new string('0', 64), Ct))
        {
            Assert.NotEqual(HttpStatusCode.TooManyRequests, blob.StatusCode);
        }

        Assert.Equal(Burst, log.Size);

        // Another client address has its own budget; the tag refused to the first client was
        // never recorded, so it is a first sighting now, not a mismatch.
        using var second = Client(proxy, IPAddress.Parse("127.0.0.2"));
        using (var other = await second.GetAsync($"/v2/scripted.test/app/manifests/new{Burst}", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
            Assert.Equal("true", other.Headers.GetValues("Tlog-First-Seen").Single());
        }

        Assert.Equal(Burst + 1, log.Size);
    }

    [Fact]
    public async Task TheLimitIsOnByDefaultAndZeroTurnsItOff()
    {
        await using var upstream = await TagUpstream.StartAsync();
        using (var data = new TempDirectory())
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, cancellationToken: Ct))
        {
            var limiter = proxy.Services.GetService<Tlogistry.Registry.Tags.FirstSightingLimiter>();
            Assert.NotNull(limiter);
            Assert.Equal(60, limiter.PerMinute);
            Assert.Equal(60, limiter.Burst);
        }

        using var off = new TempDirectory();
        await using var unlimited = await ProxyHost.StartAsync(off.Path, upstream.Mapping, new Dictionary<string, string?> { ["Tlogistry:FirstSightingsPerMinute"] = "0", ["Tlogistry:FirstSightingBurst"] = "1" }, Ct);
        Assert.Null(unlimited.Services.GetService<Tlogistry.Registry.Tags.FirstSightingLimiter>());
        using var http = Client(unlimited, IPAddress.Loopback);
        for (var i = 0; i < 3; i++)
        {
            using var response = await http.GetAsync($"/v2/scripted.test/app/manifests/free{i}", Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    /// <summary>A client whose connections come from <paramref name="source"/>, a loopback address of its own.</summary>
    private static HttpClient Client(ProxyHost proxy, IPAddress source)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, proxy.Port), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = proxy.BaseUri };
    }
}
