using System.Net;

namespace Tlogistry.Tests.Telemetry;

/// <summary>
/// <c>/metrics</c> of <c>tlogistry serve</c> as a process (a meter listener sees every meter
/// of its name in a process, so an in-process host would count its neighbours' requests too),
/// in front of a real Distribution registry whose tag is moved behind the proxy's back.
/// </summary>
[Trait("Category", "E2E")]
public sealed class MetricsTests
{
    private const string Repository = "library/app";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AFirstPullAWarmPullAndAMismatchAreCountedByRouteAndOutcome()
    {
        using var work = new TempDirectory();
        await using var registry = await DistributionRegistry.StartAsync(cancellationToken: Ct);
        using var registryHttp = new HttpClient { BaseAddress = registry.BaseUri };
        var images = new OciImageBuilder(work.Combine("layout"));
        var first = images.AddImage("first", "the tag as first seen");
        await PushAsync(registryHttp, images, first, "1.0");

        await using var proxy = await ServeProcess.StartAsync(work.Combine("data"), ["docker.io=" + registry.BaseUri], Ct);

        // One connection: Kestrel reads the next request on it only after the last one's
        // middleware has finished, so the scrape sees every count the pulls made.
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = proxy.BaseUri };
        await ExpectAsync(http, "/v2/app/manifests/1.0", HttpStatusCode.OK);
        await ExpectAsync(http, "/v2/app/manifests/1.0", HttpStatusCode.OK);
        await ExpectAsync(http, "/v2/app/manifests/" + first.ManifestDigest, HttpStatusCode.OK);
        await ExpectAsync(http, "/v2/app/blobs/" + first.ConfigDigest, HttpStatusCode.OK);
        await PushAsync(registryHttp, images, images.AddImage("moved", "the tag moved"), "1.0");
        await ExpectAsync(http, "/v2/app/manifests/1.0", HttpStatusCode.Conflict);

        using var scrape = await http.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Equal("text/plain", scrape.Content.Headers.ContentType?.MediaType);
        var metrics = new PrometheusText(await scrape.Content.ReadAsStringAsync(Ct));

        Assert.Equal(1, Requests(metrics, "manifest_by_tag", "first_seen"));
        Assert.Equal(1, Requests(metrics, "manifest_by_tag", "served"));
        Assert.Equal(1, Requests(metrics, "manifest_by_tag", "mismatch"));
        Assert.Equal(1, Requests(metrics, "manifest_by_digest", "served"));
        Assert.Equal(1, Requests(metrics, "blob", "served"));
        Assert.Equal(5, metrics.Sum("tlogistry_requests_total", ("route", "manifest_by_tag")) + metrics.Sum("tlogistry_requests_total", ("route", "manifest_by_digest")) + metrics.Sum("tlogistry_requests_total", ("route", "blob")));

        // The first pull missed the verified-pin cache twice (asked once before it spent one of the
        // client's first sightings, and again by the ledger); the warm pull and the mismatch were answered from it.
        Assert.Equal(2, metrics.Sum("tlogistry_cache_lookups_total", ("cache", "pin"), ("result", "miss")));
        Assert.Equal(2, metrics.Sum("tlogistry_cache_lookups_total", ("cache", "pin"), ("result", "hit")));

        // The tag's bytes were kept under their digest: the warm pull and the mismatch found the
        // pinned manifest in memory (so each asked upstream with a HEAD), and the pull by digest
        // needed no upstream request at all.
        Assert.Equal(3, metrics.Sum("tlogistry_cache_lookups_total", ("cache", "manifest"), ("result", "hit")));
        Assert.Equal(0, metrics.Sum("tlogistry_cache_lookups_total", ("cache", "manifest"), ("result", "miss")));

        // Four manifest requests (first GET, warm HEAD, mismatch HEAD then GET) and one blob GET
        // went upstream; one sighting was appended to the log.
        Assert.Equal(4, metrics.Sum("tlogistry_upstream_duration_seconds_count", ("operation", "manifest")));
        Assert.Equal(4, metrics.Sum("tlogistry_upstream_duration_seconds_bucket", ("operation", "manifest"), ("le", "+Inf")));
        Assert.Equal(1, metrics.Sum("tlogistry_upstream_duration_seconds_count", ("operation", "blob")));
        Assert.True(metrics.Sum("tlogistry_upstream_duration_seconds_sum", ("operation", "manifest")) > 0);
        Assert.Equal(0, metrics.Sum("tlogistry_upstream_duration_seconds_count", ("operation", "token")));
        Assert.Equal(1, metrics.Sum("tlogistry_log_duration_seconds_count", ("operation", "append")));
        Assert.True(metrics.Sum("tlogistry_log_duration_seconds_count", ("operation", "search")) > 0);
        Assert.True(metrics.Sum("tlogistry_log_duration_seconds_count", ("operation", "read")) > 0, "the start-up reconcile reads the log");

        // ASP.NET Core's own request histogram is exposed beside ours.
        Assert.True(metrics.Sum("http_server_request_duration_seconds_count") >= 5);
    }

    [Fact]
    public async Task UpstreamErrorsUnknownTagsAndRefusalsAreToldApartAndNoHostBecomesALabel()
    {
        using var work = new TempDirectory();
        await using var registry = await DistributionRegistry.StartAsync(cancellationToken: Ct);
        await using var proxy = await ServeProcess.StartAsync(
            work.Combine("data"),
            ["docker.io=" + registry.BaseUri, "down.example.test=http://127.0.0.1:1"],
            Ct,
            ["--deny-registry", "denied.example.test"]);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = proxy.BaseUri };
        await ExpectAsync(http, "/v2/app/manifests/not-there", HttpStatusCode.NotFound);
        await ExpectAsync(http, "/v2/down.example.test/app/manifests/1.0", HttpStatusCode.BadGateway);
        await ExpectAsync(http, "/v2/app/manifests/bad%20tag", HttpStatusCode.NotFound);
        await ExpectAsync(http, "/v2/denied.example.test/app/blobs/sha256:" + new string('0', 64), HttpStatusCode.Forbidden);

        var text = await http.GetStringAsync("/metrics", Ct);
        var metrics = new PrometheusText(text);
        Assert.Equal(1, Requests(metrics, "manifest_by_tag", "not_found"));
        Assert.Equal(1, Requests(metrics, "manifest_by_tag", "upstream_error"));
        Assert.Equal(1, Requests(metrics, "other", "client_error"));
        Assert.Equal(1, Requests(metrics, "blob", "denied"));
        Assert.Equal(0, metrics.Sum("tlogistry_cache_lookups_total"));
        Assert.All(metrics.LabelSets("tlogistry_requests_total"), l => Assert.Equal("Tlogistry", l["otel_scope_name"]));

        // A host a client made up must not become a label anywhere, or series would grow without bound.
        Assert.DoesNotContain("down.example.test", text, StringComparison.Ordinal);
        Assert.DoesNotContain("denied.example.test", text, StringComparison.Ordinal);
    }

    private static double Requests(PrometheusText metrics, string route, string outcome) =>
        metrics.Sum("tlogistry_requests_total", ("route", route), ("outcome", outcome));

    private static async Task ExpectAsync(HttpClient http, string path, HttpStatusCode status)
    {
        using var response = await http.GetAsync(path, Ct);
        await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.True(status == response.StatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    private static async Task PushAsync(HttpClient registry, OciImageBuilder images, OciImage image, string tag)
    {
        var push = new RegistryPush(registry);
        await push.UploadImageBlobsAsync(Repository, image, images.LayoutDirectory, Ct);

        await push.PutManifestAsync(Repository, tag, image.ManifestBytes, OciImageBuilder.ManifestMediaType, Ct);
    }
}
