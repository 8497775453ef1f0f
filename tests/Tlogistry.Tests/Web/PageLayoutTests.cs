using System.Globalization;
using System.Net;
using System.Text.Json;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Tlogistry.Tests.Readme;

namespace Tlogistry.Tests.Web;

/// <summary>
/// The pages a person reads, in Debian's Chromium at a desktop and a phone width: a real proxy
/// in front of a real Distribution registry, alpine-like tags pulled through it, one moved
/// upstream and pulled again (refused, so recorded as a move); then <c>/</c>, <c>/history</c>
/// and <c>/moves</c> measured (nothing wider than the screen) and read (what each must say).
/// Screenshots are saved under the test output directory, TestResults/screenshots.
/// </summary>
[Trait("Category", "E2E")]
public sealed class PageLayoutTests
{
    private static readonly (int Width, int Height)[] Sizes = [(1280, 1000), (390, 844)];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryPageFitsADesktopAndAPhoneAndMarksTheTagThatMovedUpstream()
    {
        PageLayout.Require();
        using var work = new TempDirectory("tlogistry-layout-");
        await using var hub = await DistributionRegistry.StartAsync(cancellationToken: Ct);
        var images = new OciImageBuilder(work.Combine("layout"));
        var pinned = images.AddImage("a", "alpine 3.16.0 as first pulled");
        var other = images.AddImage("b", "alpine 3.17.0");
        // A tag as long as a registry allows, which must wrap rather than widen the page.
        var longTag = "3.17.0-" + new string('x', 120);
        var moved = images.AddImage("c", "alpine 3.16.0 rebuilt and pushed over the tag");
        await Skopeo.CopyAsync(pinned.Reference, $"docker://{hub.HostPort}/library/alpine:3.16.0", cancellationToken: Ct);
        await Skopeo.CopyAsync(other.Reference, $"docker://{hub.HostPort}/library/alpine:3.17.0", cancellationToken: Ct);
        await Skopeo.CopyAsync(other.Reference, $"docker://{hub.HostPort}/library/alpine:{longTag}", cancellationToken: Ct);
        var port = FreePort.Next();
        var settings = new Dictionary<string, string?> { ["Tlogistry:Port"] = port.ToString(CultureInfo.InvariantCulture), ["Tlogistry:PublicUrl"] = $"http://127.0.0.1:{port}/" };
        await using var proxy = await ProxyHost.StartAsync(work.Combine("data"), ["docker.io=" + hub.BaseUri], settings, Ct);
        foreach (var tag in new[] { "3.16.0", "3.17.0", longTag })
        {
            await Skopeo.InspectDigestAsync($"docker://{proxy.HostPort}/alpine:{tag}", cancellationToken: Ct);
        }

        // The tag moves upstream; the next pull through the proxy is refused, and recorded.
        await Skopeo.CopyAsync(moved.Reference, $"docker://{hub.HostPort}/library/alpine:3.16.0", cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/v2/alpine/manifests/3.16.0"))
        {
            request.Headers.Accept.ParseAdd(OciImageBuilder.ManifestMediaType);
            using var refused = await http.SendAsync(request, Ct);
            Assert.False(refused.IsSuccessStatusCode, $"the moved tag was served ({(int)refused.StatusCode})");
        }

        var screenshots = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
        var pages = new (string Name, Uri Url)[]
        {
            ("home", proxy.BaseUri),
            ("history", new Uri(proxy.BaseUri, "history?image=alpine")),
            ("history-tag", new Uri(proxy.BaseUri, "history?image=alpine:3.16.0")),
            ("moves", new Uri(proxy.BaseUri, "moves")),
        };
        var measured = await PageLayout.MeasureAsync(screenshots, pages, Sizes, Ct);
        foreach (var m in measured)
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"screenshot {m.Name} at {m.Width} px: {m.Screenshot}");
        }

        // Layout: at each width nothing scrolls sideways and no element sticks out to the right.
        Assert.Equal(pages.Length * Sizes.Length, measured.Count);
        foreach (var m in measured)
        {
            Assert.True(m.Status == 200, $"{m.Url} answered {m.Status}");
            Assert.Equal(m.Width, m.Viewport);
            Assert.True(m.ScrollWidth <= m.Viewport, $"{m.Name} at {m.Width} px scrolls sideways: {m.ScrollWidth} px wide");
            Assert.True(m.Overflowing.Count == 0, $"{m.Name} at {m.Width} px: past the right edge: " + string.Join("; ", m.Overflowing.Take(5).Select(o => $"<{o.Tag} id={o.Id} class={o.ClassName}> right={o.Right} \"{o.Text}\"")));
            Assert.True(File.Exists(m.Screenshot) && new FileInfo(m.Screenshot).Length > 0, $"no screenshot at {m.Screenshot}");
        }

        var at = measured.ToDictionary(m => (m.Name, m.Width));
        var upstreamShort = "sha256:" + moved.ManifestDigest["sha256:".Length..][..12] + "…";

        // The home page: the instance, an introduction and the docs, not the README; counts and the latest of each record.
        var home = Parse(at[("home", 1280)].Html);
        Assert.NotNull(home.GetElementById("identity"));
        Assert.NotNull(home.GetElementById("intro"));
        var links = home.QuerySelectorAll("a[href]").Select(a => a.GetAttribute("href")).ToList();
        Assert.Contains("/docs/VERIFYING", links);
        Assert.Contains("/docs/CONFIGURATION", links);
        Assert.Contains("/moves", links);
        var readme = File.ReadAllText(RepositoryRoot.Combine("README.md"));
        Assert.All(MarkdownLinks.Anchors(readme), id => Assert.Null(home.GetElementById(id)));
        Assert.Equal("3", home.GetElementById("count-sightings")!.TextContent);
        Assert.Equal("1", home.GetElementById("count-images")!.TextContent);
        Assert.Equal("1", home.GetElementById("count-moves")!.TextContent);
        Assert.True(long.Parse(home.GetElementById("count-log")!.TextContent, CultureInfo.InvariantCulture) >= 3);
        Assert.Equal(3, home.QuerySelectorAll("#latest-sightings tr.sighting").Length);
        var latestMove = Assert.Single(home.QuerySelectorAll("#latest-moves tr.move"));
        Assert.Equal(moved.ManifestDigest, latestMove.QuerySelector(".upstream")!.TextContent);
        Assert.Contains(upstreamShort, at[("home", 390)].Text, StringComparison.Ordinal);

        // The history: short digests opening on the full value, the moved tag marked with upstream's digest and when, a command per row.
        foreach (var width in Sizes.Select(s => s.Width))
        {
            var m = at[("history", width)];
            var history = Parse(m.Html);
            var rows = history.QuerySelectorAll("#sightings tr.sighting").ToDictionary(r => r.QuerySelector(".tag")!.TextContent);
            Assert.Equal(["3.16.0", "3.17.0", longTag], rows.Keys.Order(StringComparer.Ordinal));
            var row = rows["3.16.0"];
            Assert.Equal("moved upstream", row.QuerySelector(".pin")!.TextContent);
            Assert.Equal(pinned.ManifestDigest, row.QuerySelector(".digest")!.TextContent);
            Assert.Equal(moved.ManifestDigest, row.QuerySelector(".upstream")!.TextContent);
            Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$", row.QuerySelector(".moved-at")!.TextContent);
            Assert.Equal("pinned", rows["3.17.0"].QuerySelector(".pin")!.TextContent);
            foreach (var (tag, r) in rows)
            {
                var digest = r.QuerySelector(".digest")!.TextContent;
                Assert.Equal(digest[..19] + "…", r.QuerySelector("summary .short")!.TextContent);
                Assert.StartsWith($"tlogistry verify alpine:{tag} --digest {digest} --proxy http://127.0.0.1:{port} ", r.QuerySelector("pre.verify")!.TextContent, StringComparison.Ordinal);
            }

            // Folded: the short form is what shows, the full digest only once opened.
            Assert.Contains(pinned.ManifestDigest[..19] + "…", m.Text, StringComparison.Ordinal);
            Assert.DoesNotContain(pinned.ManifestDigest, m.Text, StringComparison.Ordinal);
            Assert.Contains(longTag, m.Text, StringComparison.Ordinal);
        }

        // The record of moves: said to be this proxy's observation, beside the signed sighting it contradicts.
        var moves = Parse(at[("moves", 390)].Html);
        Assert.Contains("observations by this proxy, not signed claims", moves.GetElementById("not-signed")!.TextContent, StringComparison.Ordinal);
        var move = Assert.Single(moves.QuerySelectorAll("#moves tr.move"));
        Assert.Equal("index.docker.io/library/alpine:3.16.0", move.QuerySelector(".tag")!.TextContent);
        Assert.Equal(pinned.ManifestDigest, move.QuerySelector(".pinned")!.TextContent);
        Assert.Equal(moved.ManifestDigest, move.QuerySelector(".upstream")!.TextContent);
        Assert.Equal("1", move.QuerySelector(".refusals")!.TextContent);
        var pinIndex = move.QuerySelector(".log-index")!.TextContent;
        Assert.Equal(pinIndex, Parse(at[("history-tag", 1280)].Html).QuerySelector("#sightings tr.sighting .log-index")!.TextContent);

        // Filters: by image and by registry; another image has none.
        Assert.Single(Parse(await http.GetStringAsync("/moves?image=alpine", Ct)).QuerySelectorAll("#moves tr.move"));
        Assert.Single(Parse(await http.GetStringAsync("/moves?registry=docker.io", Ct)).QuerySelectorAll("#moves tr.move"));
        Assert.NotNull(Parse(await http.GetStringAsync("/moves?image=busybox", Ct)).GetElementById("no-moves"));
        Assert.NotNull(Parse(await http.GetStringAsync("/moves?registry=ghcr.io", Ct)).GetElementById("no-moves"));
    }

    [Theory]
    [InlineData("/moves?limit=0", "PAGINATION_NUMBER_INVALID")]
    [InlineData("/moves?limit=201", "PAGINATION_NUMBER_INVALID")]
    [InlineData("/moves?after=not%20a%20cursor", "PAGINATION_NUMBER_INVALID")]
    [InlineData("/moves?after=12345", "PAGINATION_NUMBER_INVALID")]
    [InlineData("/moves?image=UPPER/case", "NAME_INVALID")]
    [InlineData("/moves?image=alpine:3.16.0", "NAME_INVALID")]
    [InlineData("/moves?registry=bad_host!", "NAME_INVALID")]
    public async Task BadMoveQueriesAnswer400WithTheirReason(string path, string code)
    {
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, [], null, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        using var response = await http.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(code, Assert.Single(body.RootElement.GetProperty("errors").EnumerateArray()).GetProperty("code").GetString());
    }

    private static IHtmlDocument Parse(string html) => new HtmlParser().ParseDocument(html);
}
