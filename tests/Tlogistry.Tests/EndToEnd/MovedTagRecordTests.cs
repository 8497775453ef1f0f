using System.Net;
using System.Text.Json;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// The record of moved tags, end to end: <c>tlogistry serve</c> as a process in front of a real
/// Distribution registry whose tag is pushed again behind the proxy's back. One repository is
/// reached under two registry names, one refusing moved tags and one serving the pin, so one
/// push moves both.
/// </summary>
[Trait("Category", "E2E")]
public sealed class MovedTagRecordTests
{
    private const string Repository = "library/app";
    private const string Refusing = "docker.io";
    private const string ServingPin = "pinned.test";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AMovedTagIsRecordedListedCountedPrintedAndKeptAcrossARestart()
    {
        using var work = new TempDirectory();
        await using var registry = await DistributionRegistry.StartAsync(cancellationToken: Ct);
        using var registryHttp = new HttpClient { BaseAddress = registry.BaseUri };
        var images = new OciImageBuilder(work.Combine("layout"));
        var first = images.AddImage("first", "the tag as first seen");
        await PushAsync(registryHttp, images, first, "1.0");

        string[] upstreams = [Refusing + "=" + registry.BaseUri, ServingPin + "=" + registry.BaseUri];
        string[] flags = ["--policy", ServingPin + ":on-mismatch=serve-pinned"];
        var proxy = await ServeProcess.StartAsync(work.Combine("data"), upstreams, Ct, flags);
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = proxy.BaseUri };
            var refusedPin = await PinIndexAsync(http, "/v2/app/manifests/1.0");
            var servedPin = await PinIndexAsync(http, $"/v2/{ServingPin}/{Repository}/manifests/1.0");
            Assert.Empty((await MovesAsync(http, "")).GetProperty("moves").EnumerateArray());

            var moved = images.AddImage("moved", "the tag moved");
            await PushAsync(registryHttp, images, moved, "1.0");
            for (var i = 0; i < 2; i++)
            {
                await ExpectAsync(http, "/v2/app/manifests/1.0", HttpStatusCode.Conflict);
            }

            for (var i = 0; i < 3; i++)
            {
                using var served = await ExpectAsync(http, $"/v2/{ServingPin}/{Repository}/manifests/1.0", HttpStatusCode.OK);
                Assert.Equal(moved.ManifestDigest, served.Headers.GetValues("Tlog-Mismatch").Single());
            }

            var listed = await MovesAsync(http, "");
            Assert.Contains("not signed claims", listed.GetProperty("statement").GetString(), StringComparison.Ordinal);
            Assert.Equal(JsonValueKind.Null, listed.GetProperty("next").ValueKind);
            var rows = listed.GetProperty("moves").EnumerateArray().ToList();
            Assert.Equal(2, rows.Count);

            // Newest first: the serve-pinned pulls came last.
            AssertMove(rows[0], $"{ServingPin}/{Repository}:1.0", ServingPin, first.ManifestDigest, moved.ManifestDigest, servedPin, refusals: 0, pinnedServes: 3);
            AssertMove(rows[1], $"index.docker.io/{Repository}:1.0", Refusing, first.ManifestDigest, moved.ManifestDigest, refusedPin, refusals: 2, pinnedServes: 0);
            Assert.Contains($"--digest {first.ManifestDigest}", rows[1].GetProperty("verify").GetString(), StringComparison.Ordinal);

            // Filters: by registry, by image (any spelling a pull takes), by last-seen time.
            Assert.Equal([$"{ServingPin}/{Repository}:1.0"], Tags(await MovesAsync(http, "?registry=" + ServingPin)));
            Assert.Equal([$"index.docker.io/{Repository}:1.0"], Tags(await MovesAsync(http, "?image=app")));
            Assert.Empty(Tags(await MovesAsync(http, "?since=2999-01-01T00:00:00Z")));
            Assert.Equal(2, Tags(await MovesAsync(http, "?since=" + Uri.EscapeDataString(rows[1].GetProperty("lastSeen").GetString()!))).Length);

            // One page of one row names the next, which holds the other.
            using (var page = await ExpectAsync(http, "/tlog/moves?limit=1", HttpStatusCode.OK))
            {
                var body = JsonDocument.Parse(await page.Content.ReadAsStringAsync(Ct)).RootElement;
                var next = body.GetProperty("next").GetString()!;
                Assert.Equal($"<{next}>; rel=\"next\"", page.Headers.GetValues("Link").Single());
                Assert.Equal([$"index.docker.io/{Repository}:1.0"], Tags(await MovesAsync(http, next["/tlog/moves".Length..])));
            }

            var metrics = new PrometheusText(await http.GetStringAsync("/metrics", Ct));
            Assert.Equal(1, metrics.Sum("tlogistry_tag_moves_total", ("registry", Refusing)));
            Assert.Equal(1, metrics.Sum("tlogistry_tag_moves_total", ("registry", ServingPin)));
            Assert.Equal(2, metrics.Sum("tlogistry_tag_move_observations_total", ("answer", "refused"), ("result", "recorded")));
            Assert.Equal(3, metrics.Sum("tlogistry_tag_move_observations_total", ("answer", "served_pinned"), ("result", "recorded")));

            // The command follows every page (one row a page here) and says what the rows are.
            var (code, output, errors) = await CliProcess.RunAsync(null, "moves", "--proxy", proxy.BaseUri.AbsoluteUri);
            Assert.True(code == 0, errors);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(3, lines.Length);
            Assert.StartsWith("LAST SEEN", lines[0], StringComparison.Ordinal);
            Assert.Contains($"{ServingPin}/{Repository}:1.0", lines[1], StringComparison.Ordinal);
            Assert.Contains(moved.ManifestDigest, lines[2], StringComparison.Ordinal);
            Assert.Contains("not signed", errors, StringComparison.Ordinal);

            (code, output, errors) = await CliProcess.RunAsync(null, "moves", "--proxy", proxy.BaseUri.AbsoluteUri, "--json", "--registry", Refusing);
            Assert.True(code == 0, errors);
            var line = JsonDocument.Parse(Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
            Assert.Equal((first.ManifestDigest, 2L), (line.GetProperty("pinned").GetString(), line.GetProperty("refusals").GetInt64()));

            (code, _, errors) = await CliProcess.RunAsync(null, "moves", "--proxy", proxy.BaseUri.AbsoluteUri, "--since", "yesterday");
            Assert.NotEqual(0, code);
            Assert.Contains("RFC 3339", errors, StringComparison.Ordinal);
        }
        finally
        {
            await proxy.StopAsync(Ct);
            await proxy.DisposeAsync();
        }

        // The record is the store's: a new process lists it as it was, and counts on.
        await using var restarted = await ServeProcess.StartAsync(work.Combine("data"), upstreams, Ct, flags);
        using var again = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = restarted.BaseUri };
        await ExpectAsync(again, "/v2/app/manifests/1.0", HttpStatusCode.Conflict);
        var kept = (await MovesAsync(again, "?registry=" + Refusing)).GetProperty("moves").EnumerateArray().Single();
        Assert.Equal((3L, 0L), (kept.GetProperty("refusals").GetInt64(), kept.GetProperty("pinnedServes").GetInt64()));
        Assert.Single(Tags(await MovesAsync(again, "?registry=" + ServingPin)));

        // Not first seen again: the new process counts the observation, not a new move.
        var after = new PrometheusText(await again.GetStringAsync("/metrics", Ct));
        Assert.Equal(0, after.Sum("tlogistry_tag_moves_total"));
        Assert.Equal(1, after.Sum("tlogistry_tag_move_observations_total", ("answer", "refused")));
    }

    private static void AssertMove(JsonElement row, string tag, string registry, string pinned, string upstream, long pinLogIndex, long refusals, long pinnedServes)
    {
        Assert.Equal(
            (tag, registry, pinned, upstream, pinLogIndex, refusals, pinnedServes),
            (row.GetProperty("tag").GetString(), row.GetProperty("registry").GetString(), row.GetProperty("pinned").GetString(), row.GetProperty("upstream").GetString(),
                row.GetProperty("pinLogIndex").GetInt64(), row.GetProperty("refusals").GetInt64(), row.GetProperty("pinnedServes").GetInt64()));
        Assert.True(DateTimeOffset.Parse(row.GetProperty("firstSeen").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            <= DateTimeOffset.Parse(row.GetProperty("lastSeen").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static string[] Tags(JsonElement listing) => [.. listing.GetProperty("moves").EnumerateArray().Select(m => m.GetProperty("tag").GetString()!)];

    private static async Task<long> PinIndexAsync(HttpClient http, string path)
    {
        using var response = await ExpectAsync(http, path, HttpStatusCode.OK);
        return long.Parse(response.Headers.GetValues("Tlog-Logindex").Single(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<JsonElement> MovesAsync(HttpClient http, string query)
    {
        using var response = await ExpectAsync(http, "/tlog/moves" + query, HttpStatusCode.OK);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
    }

    private static async Task<HttpResponseMessage> ExpectAsync(HttpClient http, string path, HttpStatusCode status)
    {
        var response = await http.GetAsync(path, Ct);
        await response.Content.LoadIntoBufferAsync(Ct);
        Assert.True(status == response.StatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return response;
    }

    private static async Task PushAsync(HttpClient registry, OciImageBuilder images, OciImage image, string tag)
    {
        var push = new RegistryPush(registry);
        await push.UploadImageBlobsAsync(Repository, image, images.LayoutDirectory, Ct);

        await push.PutManifestAsync(Repository, tag, image.ManifestBytes, OciImageBuilder.ManifestMediaType, Ct);
    }
}
