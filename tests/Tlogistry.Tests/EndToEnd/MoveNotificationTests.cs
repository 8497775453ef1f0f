using System.Net;
using System.Text.Json;
using Tlogistry.Tests.Moves.Notify;
using static Tlogistry.Tests.Support.Doubles.WebhookReceiver;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// <c>--notify</c> end to end: <c>tlogistry serve</c> as a process in front of a real
/// Distribution registry whose tag is pushed again behind the proxy's back; a webhook receiver
/// on loopback gets one CloudEvents event per move, however often the moved tag is pulled.
/// </summary>
[Trait("Category", "E2E")]
public sealed class MoveNotificationTests
{
    private const string Repository = "library/app";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AMovedTagIsAnnouncedOnceHoweverOftenItIsPulled()
    {
        using var work = new TempDirectory();
        await using var registry = await DistributionRegistry.StartAsync(cancellationToken: Ct);
        await using var receiver = await WebhookReceiver.StartAsync(_ => Reply.Ok);
        using var registryHttp = new HttpClient { BaseAddress = registry.BaseUri };
        var images = new OciImageBuilder(work.Combine("layout"));
        var first = images.AddImage("first", "the tag as first seen");
        await PushAsync(registryHttp, images, first, "1.0");
        await PushAsync(registryHttp, images, first, "2.0");

        string[] flags = ["--notify", receiver.HookUri.ToString(), "--public-url", "https://registry.example.com"];
        await using var proxy = await ServeProcess.StartAsync(work.Combine("data"), ["docker.io=" + registry.BaseUri], Ct, flags);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        await ExpectAsync(http, "/v2/app/manifests/1.0", HttpStatusCode.OK);
        await ExpectAsync(http, "/v2/app/manifests/2.0", HttpStatusCode.OK);
        Assert.Empty(receiver.Requests);

        var moved = images.AddImage("moved", "the tag moved");
        await PushAsync(registryHttp, images, moved, "1.0");
        await ExpectAsync(http, "/v2/app/manifests/1.0", HttpStatusCode.Conflict);
        await NotifyProbe.WaitUntilAsync(() => receiver.Requests.Count == 1, "the move announced");
        await ExpectAsync(http, "/v2/app/manifests/1.0", HttpStatusCode.Conflict);
        await ExpectAsync(http, "/v2/app/manifests/1.0", HttpStatusCode.Conflict);

        // Events go out in order: once a later move's event has arrived, a second event for the
        // first move would have arrived before it.
        await PushAsync(registryHttp, images, moved, "2.0");
        await ExpectAsync(http, "/v2/app/manifests/2.0", HttpStatusCode.Conflict);
        await NotifyProbe.WaitUntilAsync(() => receiver.Requests.Count >= 2, "the second move announced");

        var events = receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.Equal([$"index.docker.io/{Repository}:1.0", $"index.docker.io/{Repository}:2.0"], events.Select(e => e.GetProperty("subject").GetString()));
        var e = events[0];
        Assert.Equal("application/cloudevents+json; charset=utf-8", receiver.Requests[0].ContentType);
        Assert.Equal("https://registry.example.com", e.GetProperty("source").GetString());
        var data = e.GetProperty("data");
        Assert.Equal(("1.0", "docker.io", Repository), (data.GetProperty("tag").GetString(), data.GetProperty("registry").GetString(), data.GetProperty("repository").GetString()));
        Assert.Equal(first.ManifestDigest, data.GetProperty("pinnedDigest").GetString());
        Assert.Equal(moved.ManifestDigest, data.GetProperty("upstreamDigest").GetString());
        Assert.Equal("refused", data.GetProperty("answer").GetString());

        // The moves record names the same move, from the same first-seen time.
        using var listing = JsonDocument.Parse(await http.GetStringAsync("/tlog/moves?image=app", Ct));
        var row = listing.RootElement.GetProperty("moves").EnumerateArray().Single(m => m.GetProperty("tag").GetString()!.EndsWith(":1.0", StringComparison.Ordinal));
        Assert.Equal(data.GetProperty("pinLogIndex").GetInt64(), row.GetProperty("pinLogIndex").GetInt64());
        Assert.Equal(DateTimeOffset.Parse(row.GetProperty("firstSeen").GetString()!, System.Globalization.CultureInfo.InvariantCulture), data.GetProperty("firstSeen").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));

        var metrics = new PrometheusText(await http.GetStringAsync("/metrics", Ct));
        Assert.Equal(2, metrics.Sum("tlogistry_notify_deliveries_total", ("result", "delivered")));
        Assert.Equal(0, metrics.Sum("tlogistry_notify_deliveries_total", ("result", "failed")));
    }

    [Fact]
    public async Task ANotifyUrlThatIsNotHttpStopsTheStart()
    {
        using var work = new TempDirectory();
        var (code, _, errors) = await CliProcess.RunAsync(null, "serve", "--data-dir", work.Path, "--port", "0", "--notify", "ftp://hooks.example.com/x");
        Assert.NotEqual(0, code);
        Assert.Contains("--notify must be an absolute http or https URL", errors, StringComparison.Ordinal);
    }

    private static async Task ExpectAsync(HttpClient http, string path, HttpStatusCode status)
    {
        using var response = await http.GetAsync(path, Ct);
        Assert.True(status == response.StatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    private static async Task PushAsync(HttpClient registry, OciImageBuilder images, OciImage image, string tag)
    {
        var push = new RegistryPush(registry);
        await push.UploadImageBlobsAsync(Repository, image, images.LayoutDirectory, Ct);

        await push.PutManifestAsync(Repository, tag, image.ManifestBytes, OciImageBuilder.ManifestMediaType, Ct);
    }
}
