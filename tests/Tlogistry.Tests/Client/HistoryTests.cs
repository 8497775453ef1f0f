using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Tlogistry.Client;
using Tlogistry.Client.History;

namespace Tlogistry.Tests.Client;

/// <summary><c>tlogistry history</c> after pulls through a live proxy, from the proxy and from its data directory.</summary>
public sealed class HistoryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(int Exit, string Output, string Errors)> History(ClientFixture f, string image, bool json = false, bool dataDir = false, TrustFlags? trust = null)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await ImageHistory.RunAsync(new HistoryRequest(image, f.Proxy.BaseUri, dataDir ? f.Data.Path : null, json, trust ?? TrustFlags.None), output, errors, Ct);
        return (exit, output.ToString(), errors.ToString());
    }

    [Fact]
    public async Task EveryTagOfAnImageIsListedVerifiedAsATableOrJson()
    {
        await using var f = await ClientFixture.StartAsync(Ct);
        var digests = new Dictionary<string, string>();
        foreach (var tag in new[] { "b", "a", "c" })
        {
            digests[tag] = await f.PullAsync(tag, Ct);
        }

        await f.PullAsync("a", Ct, repository: "other");

        var (exit, table, _) = await History(f, "scripted.test/app");
        Assert.Equal(0, exit);
        var lines = table.TrimEnd('\n').Split('\n');
        Assert.Matches("^TAG +DIGEST +LOG INDEX +INTEGRATED +STATUS$", lines[0]);
        Assert.Equal(["a", "b", "c"], lines[1..].Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]));
        Assert.Matches($"^a +{digests["a"]} +1 +\\d{{4}}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ +verified$", lines[1]);
        Assert.Matches($"^b +{digests["b"]} +0 ", lines[2]);
        Assert.DoesNotContain(lines, l => l.EndsWith(' '));

        // The same from the data directory's store, trusting its own keys; and one tag as JSON.
        Assert.Equal(table, (await History(f, "scripted.test/app", dataDir: true)).Output);
        var (one, json, _) = await History(f, "scripted.test/app:c", json: true);
        Assert.Equal(0, one);
        var row = Assert.Single(JsonDocument.Parse(json).RootElement.EnumerateArray());
        Assert.Equal("scripted.test/app:c", row.GetProperty("reference").GetString());
        Assert.Equal("c", row.GetProperty("tag").GetString());
        Assert.Equal(digests["c"], row.GetProperty("digest").GetString());
        Assert.Equal(2, row.GetProperty("logIndex").GetInt64());
        Assert.True(row.GetProperty("verified").GetBoolean());
        Assert.Equal("verified", row.GetProperty("status").GetString());
        Assert.True(DateTimeOffset.TryParse(row.GetProperty("integratedTime").GetString(), out _));
    }

    [Fact]
    public async Task ASightingThatDoesNotVerifyIsShownWithItsReasonAndFailsTheCommand()
    {
        await using var f = await ClientFixture.StartAsync(Ct);
        await f.PullAsync("a", Ct);
        var stranger = f.Files.Combine("stranger.pem");
        using (var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
        {
            await File.WriteAllTextAsync(stranger, key.ExportSubjectPublicKeyInfoPem(), Ct);
        }

        var (exit, table, errors) = await History(f, "scripted.test/app", trust: new TrustFlags(f.TrustedRoot, [stranger], null, null));
        Assert.Equal(1, exit);
        Assert.Contains("signature check failed", table, StringComparison.Ordinal);
        Assert.Contains("1 of 1 sightings do not verify", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownImageOrAnUnreachableProxyIsAClearError()
    {
        await using var f = await ClientFixture.StartAsync(Ct);
        await f.PullAsync("a", Ct);

        var unknown = await Assert.ThrowsAsync<ClientException>(() => History(f, "scripted.test/nothing"));
        Assert.Contains("no sighting of any tag of scripted.test/nothing is recorded", unknown.Message, StringComparison.Ordinal);
        var tag = await Assert.ThrowsAsync<ClientException>(() => History(f, "scripted.test/app:never", dataDir: true));
        Assert.Contains("no sighting of scripted.test/app:never is recorded", tag.Message, StringComparison.Ordinal);
        var bad = await Assert.ThrowsAsync<ClientException>(() => History(f, "Not/Valid"));
        Assert.Contains("invalid repository name", bad.Message, StringComparison.Ordinal);

        var port = FreePort.Next();
        var gone = await Assert.ThrowsAsync<ClientException>(() => ImageHistory.RunAsync(
            new HistoryRequest("alpine", new Uri($"http://127.0.0.1:{port}/"), null, false, TrustFlags.None), TextWriter.Null, TextWriter.Null, Ct));
        Assert.Contains($"cannot reach the proxy at http://127.0.0.1:{port}/", gone.Message, StringComparison.Ordinal);

        // As a process: one line on stderr, exit 1, no stack trace.
        var run = await CliProcess.RunAsync(null, "history", "scripted.test/nothing", "--proxy", f.Proxy.BaseUri.ToString());
        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("tlogistry history: scripted.test/nothing is unknown to ", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheImageListingEndpointAnswersOciErrorsForBadInput()
    {
        await using var f = await ClientFixture.StartAsync(Ct);
        await f.PullAsync("a", Ct);
        using (var ok = await f.Http.GetAsync("/tlog/bundles?image=scripted.test/app", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("application/x-ndjson", ok.Content.Headers.ContentType!.MediaType);
            Assert.Single((await ok.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }

        await AssertError(f.Http, "/tlog/bundles?image=UPPER/x", HttpStatusCode.BadRequest, "NAME_INVALID");
        await AssertError(f.Http, "/tlog/bundles?image=scripted.test/app:bad%20tag", HttpStatusCode.BadRequest, "TAG_INVALID");
        await AssertError(f.Http, "/tlog/bundles?image=", HttpStatusCode.BadRequest, "NAME_INVALID");
        await AssertError(f.Http, "/tlog/bundles?image=scripted.test/app&limit=0", HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
        await AssertError(f.Http, "/tlog/bundles?image=scripted.test/app&limit=1001", HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
        await AssertError(f.Http, "/tlog/bundles?image=scripted.test/app&after=bad%20tag", HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
        await AssertError(f.Http, "/tlog/bundles?image=scripted.test/none", HttpStatusCode.NotFound, "NAME_UNKNOWN");
        await AssertError(f.Http, "/tlog/bundles?image=scripted.test/app:none", HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task AnImagesBundlesComeABoundedPageAtATimeAndHistoryFollowsThePages()
    {
        // One more sighting than the default page; the first-sighting limit is off so one client can make them.
        var count = Tlogistry.Registry.Tlog.ListingPage.DefaultLimit + 1;
        await using var f = await ClientFixture.StartAsync(Ct, new Dictionary<string, string?> { ["Tlogistry:FirstSightingsPerMinute"] = "0" });
        var tags = Enumerable.Range(0, count).Select(i => i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        foreach (var tag in tags)
        {
            await f.PullAsync(tag, Ct);
        }

        // The default page holds 100 bundles and links the rest; following the links yields each tag once, in order.
        var seen = new List<string>();
        var next = "/tlog/bundles?image=scripted.test/app";
        var pages = 0;
        while (next is not null)
        {
            using var page = await f.Http.GetAsync(next, Ct);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var lines = (await page.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.InRange(lines.Length, 1, Tlogistry.Registry.Tlog.ListingPage.DefaultLimit);
            seen.AddRange(lines.Select(TagOf));
            next = page.Headers.TryGetValues("Link", out var links) ? links.Single().Split('<', '>')[1] : null;
            pages++;
        }

        Assert.Equal(2, pages);
        Assert.Equal(tags, seen);

        // A smaller page on request, continuing after the tag it names.
        using (var small = await f.Http.GetAsync("/tlog/bundles?image=scripted.test/app&after=010&limit=2", Ct))
        {
            Assert.Equal(["011", "012"], (await small.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(TagOf));
            Assert.Equal("</tlog/bundles?image=scripted.test%2Fapp&after=012&limit=2>; rel=\"next\"", small.Headers.GetValues("Link").Single());
        }

        // tlogistry history reads every page.
        var (exit, table, _) = await History(f, "scripted.test/app");
        Assert.Equal(0, exit);
        Assert.Equal(tags, table.TrimEnd('\n').Split('\n')[1..].Select(l => l.Split(' ')[0]));
    }

    /// <summary>The tag a bundle line's statement names.</summary>
    private static string TagOf(string bundleLine)
    {
        using var bundle = JsonDocument.Parse(bundleLine);
        var payload = bundle.RootElement.GetProperty("dsseEnvelope").GetProperty("payload").GetBytesFromBase64();
        using var statement = JsonDocument.Parse(payload);
        var name = statement.RootElement.GetProperty("subject")[0].GetProperty("name").GetString()!;
        return name[(name.LastIndexOf(':') + 1)..];
    }

    private static async Task AssertError(HttpClient http, string path, HttpStatusCode status, string code)
    {
        using var response = await http.GetAsync(path, Ct);
        Assert.Equal(status, response.StatusCode);
        Assert.Contains($"\"code\":\"{code}\"", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
