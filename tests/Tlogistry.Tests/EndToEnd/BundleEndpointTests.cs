using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Tlogistry.Host;
using Tlogistry.Ledger;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>The published bundles: one per tag, a paged export, and rebuilding a lost store from either source.</summary>
public sealed class BundleEndpointTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BundlesArePublishedPerTagAndAsAPagedExportAndRebuildALostStore()
    {
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        var upstreams = upstream.Mapping;
        string export;
        var digests = new Dictionary<string, string>();
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstreams, null, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            foreach (var tag in new[] { "a", "b", "c" })
            {
                using var pulled = await http.GetAsync($"/v2/scripted.test/app/manifests/{tag}", Ct);
                Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
                digests[tag] = pulled.Headers.GetValues("Docker-Content-Digest").Single();
            }

            // One tag's bundle: the envelope says that tag and digest, and it verifies as ours.
            using var one = await http.GetAsync("/tlog/bundle?image=scripted.test/app:b", Ct);
            Assert.Equal(HttpStatusCode.OK, one.StatusCode);
            Assert.Equal(SigstoreBundle.MediaType, one.Content.Headers.ContentType!.MediaType);
            var bundle = BundleJson.Read(await one.Content.ReadAsByteArrayAsync(Ct));
            var reader = proxy.Services.GetRequiredService<SightingReader>();
            var sighting = reader.Read(bundle);
            Assert.Equal(("scripted.test/app:b", digests["b"]), (sighting.Reference.Canonical, sighting.Digest.ToString()));

            // The export pages with Link until the last page.
            using var first = await http.GetAsync("/tlog/bundles?limit=2", Ct);
            var firstLines = (await first.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, firstLines.Length);
            var next = first.Headers.GetValues("Link").Single();
            Assert.Contains("rel=\"next\"", next, StringComparison.Ordinal);
            using var second = await http.GetAsync(next[1..next.IndexOf('>', StringComparison.Ordinal)], Ct);
            var secondLines = (await second.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(secondLines);
            Assert.False(second.Headers.Contains("Link"));
            export = string.Join('\n', firstLines.Concat(secondLines)) + "\n";
            var exported = firstLines.Concat(secondLines).Select(l => reader.Read(BundleJson.Read(Encoding.UTF8.GetBytes(l))).Reference.Canonical).Order();
            Assert.Equal(["scripted.test/app:a", "scripted.test/app:b", "scripted.test/app:c"], exported);

            // Bad input: clear OCI errors.
            await AssertError(http, "/tlog/bundle?image=UPPER/case:x", HttpStatusCode.BadRequest, "NAME_INVALID");
            await AssertError(http, "/tlog/bundle?image=scripted.test/app", HttpStatusCode.BadRequest, "NAME_INVALID");
            await AssertError(http, "/tlog/bundle?image=scripted.test/app:never", HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
            await AssertError(http, "/tlog/bundles?limit=0", HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
            await AssertError(http, "/tlog/bundles?after=-1", HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
        }

        // The store is lost twice: rebuilt from the export file, then from the log itself.
        var exportFile = Path.Combine(data.Path, "export.jsonl");
        await File.WriteAllTextAsync(exportFile, export, Ct);
        var settings = new Dictionary<string, string?> { ["Tlogistry:DataDir"] = data.Path, ["Logging:LogLevel:Default"] = "Warning" };
        foreach (var from in new[] { exportFile, null })
        {
            SightingStore.Delete(data.Path);
            var progress = new StringWriter();
            Assert.Equal(0, await IndexRebuild.RunAsync(settings, from, progress, Ct));
            Assert.Contains("3 sightings added", progress.ToString(), StringComparison.Ordinal);
        }

        // The rebuilt store holds the pins: a moved tag is refused.
        upstream.Move("a");
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstreams, null, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using var moved = await http.GetAsync("/v2/scripted.test/app/manifests/a", Ct);
            Assert.Equal(HttpStatusCode.Conflict, moved.StatusCode);
            Assert.Contains(digests["a"], await moved.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            using var same = await http.GetAsync("/v2/scripted.test/app/manifests/b", Ct);
            Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        }
    }

    private static async Task AssertError(HttpClient http, string path, HttpStatusCode status, string code)
    {
        using var response = await http.GetAsync(path, Ct);
        Assert.Equal(status, response.StatusCode);
        Assert.Contains($"\"code\":\"{code}\"", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
