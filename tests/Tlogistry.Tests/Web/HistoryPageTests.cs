using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using AngleSharp.Html.Dom;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tlogistry.Ledger;
using Tlogistry.Store;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;
using Tlogistry.Web;
using AngleSharp.Html.Parser;

namespace Tlogistry.Tests.Web;

/// <summary>
/// The web pages in a real browser: an image pulled with skopeo through tlogistry from a real
/// Distribution registry, then <c>/history</c> loaded in headless Chromium.
/// </summary>
[Trait("Category", "E2E")]
public sealed class HistoryPageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AfterAPullTheHistoryPageShowsTheRecordedDigestAndAVerifyCommandThatPasses()
    {
        using var work = new TempDirectory("tlogistry-web-");
        await using var hub = await DistributionRegistry.StartAsync(cancellationToken: Ct);
        var images = new OciImageBuilder(work.Combine("layout"));
        var first = images.AddImage("a", "alpine 3.16.0 for the page");
        var second = images.AddImage("b", "alpine 3.17.0 for the page");
        await Skopeo.CopyAsync(first.Reference, $"docker://{hub.HostPort}/library/alpine:3.16.0", cancellationToken: Ct);
        await Skopeo.CopyAsync(second.Reference, $"docker://{hub.HostPort}/library/alpine:3.17.0", cancellationToken: Ct);
        // The address people reach the proxy at is the operator's setting; the commands name it.
        var port = FreePort.Next();
        var settings = new Dictionary<string, string?> { ["Tlogistry:Port"] = port.ToString(CultureInfo.InvariantCulture), ["Tlogistry:PublicUrl"] = $"http://127.0.0.1:{port}/" };
        await using var proxy = await ProxyHost.StartAsync(work.Combine("data"), ["docker.io=" + hub.BaseUri], settings, Ct);
        Assert.Equal(first.ManifestDigest, await Skopeo.InspectDigestAsync($"docker://{proxy.HostPort}/alpine:3.16.0", cancellationToken: Ct));
        Assert.Equal(second.ManifestDigest, await Skopeo.InspectDigestAsync($"docker://{proxy.HostPort}/alpine:3.17.0", cancellationToken: Ct));
        var origin = proxy.BaseUri.GetLeftPart(UriPartial.Authority);

        // Every tag of the image: one row each, with the digest the pull recorded.
        var page = await LoadAsync(new Uri(proxy.BaseUri, "history?image=alpine"));
        Assert.Equal("index.docker.io/library/alpine", page.GetElementById("image")!.TextContent);
        var rows = page.QuerySelectorAll("#sightings tr.sighting");
        Assert.Equal(2, rows.Length);
        var byTag = rows.ToDictionary(r => r.QuerySelector(".tag")!.TextContent);
        Assert.Equal(first.ManifestDigest, byTag["3.16.0"].QuerySelector(".digest")!.TextContent);
        Assert.Equal(second.ManifestDigest, byTag["3.17.0"].QuerySelector(".digest")!.TextContent);
        Assert.All(rows, r => Assert.Equal("verified", r.QuerySelector(".status")!.TextContent));
        Assert.Equal(["0", "1"], rows.Select(r => r.QuerySelector(".log-index")!.TextContent).Order());

        // One tag: one row, whose bundle link answers the bundle of that tag.
        var one = await LoadAsync(new Uri(proxy.BaseUri, "history?image=alpine:3.16.0"));
        var row = Assert.Single(one.QuerySelectorAll("#sightings tr.sighting"));
        Assert.Equal(first.ManifestDigest, row.QuerySelector(".digest")!.TextContent);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        var bundleLink = row.QuerySelector("a")!.GetAttribute("href")!;
        using var bundle = await http.GetAsync(bundleLink, Ct);
        Assert.Equal(HttpStatusCode.OK, bundle.StatusCode);
        using (var json = JsonDocument.Parse(await bundle.Content.ReadAsByteArrayAsync(Ct)))
        {
            var statement = Encoding.UTF8.GetString(json.RootElement.GetProperty("dsseEnvelope").GetProperty("payload").GetBytesFromBase64());
            Assert.Contains(first.ManifestDigest["sha256:".Length..], statement, StringComparison.Ordinal);
            Assert.Contains("index.docker.io/library/alpine:3.16.0", statement, StringComparison.Ordinal);
        }

        // The page's own instructions, run as a person would: fetch the trust material, then the verify command.
        var trust = one.GetElementById("trust")!.TextContent.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var fetch in trust)
        {
            var words = fetch.Split(' ');
            Assert.Equal(["curl", "-o"], words[..2]);
            Assert.StartsWith(origin + "/", words[3], StringComparison.Ordinal);
            await File.WriteAllBytesAsync(work.Combine(words[2]), await http.GetByteArrayAsync(new Uri(words[3]), Ct), Ct);
        }

        var command = row.QuerySelector("pre.verify")!.TextContent.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["tlogistry", "verify", "alpine:3.16.0", "--digest", first.ManifestDigest], command[..5]);
        var args = command[2..].Select(a => a.EndsWith(".json", StringComparison.Ordinal) || a.EndsWith(".pem", StringComparison.Ordinal) ? work.Combine(a) : a).ToArray();
        var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = work.Combine("xdg") };
        var ok = await CliProcess.RunAsync(env, ["verify", .. args]);
        Assert.True(ok.ExitCode == 0, ok.StandardError);
        Assert.StartsWith($"verified index.docker.io/library/alpine:3.16.0 {first.ManifestDigest}", ok.StandardOutput, StringComparison.Ordinal);

        // The same command with another digest fails: the page is not telling people to run something that always passes.
        var other = await CliProcess.RunAsync(env, ["verify", .. args.Select(a => a == first.ManifestDigest ? second.ManifestDigest : a)]);
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("digest mismatch", other.StandardError, StringComparison.Ordinal);

        // The home page links here and shows the identity the page tells people to pin.
        var home = await LoadAsync(proxy.BaseUri);
        Assert.Equal(one.GetElementById("identity")!.TextContent, home.GetElementById("identity")!.TextContent);
        Assert.Equal("/history", home.QuerySelector("form")!.GetAttribute("action"));
    }

    [Fact]
    public async Task BadAndUnknownImagesAnswerOciErrorsOrAnErrorPageForBrowsers()
    {
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, null, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        using (var pulled = await http.GetAsync("/v2/scripted.test/app/manifests/a", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        }

        // No image: the form.
        using (var empty = await http.GetAsync("/history", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, empty.StatusCode);
            Assert.Equal("text/html", empty.Content.Headers.ContentType!.MediaType);
            Assert.NotNull(Parse(await empty.Content.ReadAsStringAsync(Ct)).QuerySelector("form input[name=image]"));
        }

        await AssertOciError(http, "/history?image=UPPER/case", HttpStatusCode.BadRequest, "NAME_INVALID");
        await AssertOciError(http, "/history?image=scripted.test/app:bad%20tag", HttpStatusCode.BadRequest, "TAG_INVALID");
        await AssertOciError(http, "/history?image=scripted.test/app:never", HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        await AssertOciError(http, "/history?image=scripted.test/other", HttpStatusCode.NotFound, "NAME_UNKNOWN");

        // A browser gets the same status and message as a page, with what it typed escaped, not run.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/history?image=" + Uri.EscapeDataString("<script>x</script>"));
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8");
        using var browser = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, browser.StatusCode);
        var html = await browser.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        var doc = Parse(html);
        Assert.StartsWith("NAME_INVALID: ", doc.GetElementById("error")!.TextContent, StringComparison.Ordinal);
        Assert.Equal("<script>x</script>", doc.QuerySelector("form input[name=image]")!.GetAttribute("value"));

        // The commands never name the host a request claims (Host, X-Forwarded-Proto): with no
        // --public-url they show a placeholder, and say so.
        using var forwarded = new HttpRequestMessage(HttpMethod.Get, "/history?image=scripted.test/app:a");
        forwarded.Headers.Host = "evil.example";
        forwarded.Headers.Add("X-Forwarded-Proto", "https");
        using var behind = await http.SendAsync(forwarded, Ct);
        var claimed = await behind.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("evil.example", claimed, StringComparison.OrdinalIgnoreCase);
        var page = Parse(claimed);
        Assert.Contains("--proxy PROXY_URL ", page.QuerySelector("pre.verify")!.TextContent, StringComparison.Ordinal);
        Assert.StartsWith("curl -o root.json PROXY_URL/tlog/trusted_root.json", page.GetElementById("trust")!.TextContent, StringComparison.Ordinal);
        Assert.NotNull(page.GetElementById("public-url"));

        // With one configured, they name it, whatever the request says.
        var index = proxy.Services.GetRequiredService<ISightingIndex>();
        var reader = proxy.Services.GetRequiredService<SightingReader>();
        var configured = await RenderAsync(new HistoryPage(index, reader, "test log", PublicUrl.Parse("https://registry.example.test")), "?image=scripted.test/app:a");
        Assert.DoesNotContain("evil.example", configured, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("--proxy https://registry.example.test ", Parse(configured).QuerySelector("pre.verify")!.TextContent, StringComparison.Ordinal);
        Assert.Null(Parse(configured).GetElementById("public-url"));

        // A page shows a bounded number of rows, and links the next page (in the body and as Link: rel="next").
        foreach (var tag in new[] { "b", "c" })
        {
            using var more = await http.GetAsync($"/v2/scripted.test/app/manifests/{tag}", Ct);
            Assert.Equal(HttpStatusCode.OK, more.StatusCode);
        }

        var small = new HistoryPage(index, reader, "test log", PublicUrl.Parse(null), defaultRows: 2);
        var bounded = Parse(await RenderAsync(small, "?image=scripted.test/app"));
        Assert.Equal(["a", "b"], bounded.QuerySelectorAll("#sightings tr.sighting .tag").Select(t => t.TextContent));
        Assert.StartsWith("2 of 3 sightings are shown", bounded.GetElementById("more")!.TextContent, StringComparison.Ordinal);
        var nextPage = new Uri(new Uri("http://proxy.test"), bounded.GetElementById("next")!.GetAttribute("href")!);
        Assert.Equal(HistoryPage.Path, nextPage.AbsolutePath);
        var rest = Parse(await RenderAsync(small, nextPage.Query));
        Assert.Equal(["c"], rest.QuerySelectorAll("#sightings tr.sighting .tag").Select(t => t.TextContent));
        Assert.Null(rest.GetElementById("more"));
        using (var linked = await http.GetAsync("/history?image=scripted.test/app&limit=1", Ct))
        {
            Assert.Single(Parse(await linked.Content.ReadAsStringAsync(Ct)).QuerySelectorAll("#sightings tr.sighting"));
            Assert.Equal("</history?image=scripted.test%2Fapp&after=a&limit=1>; rel=\"next\"", linked.Headers.GetValues("Link").Single());
        }

        await AssertOciError(http, "/history?image=scripted.test/app&limit=" + (HistoryPage.MaxRows + 1).ToString(CultureInfo.InvariantCulture), HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
        // Read by someone who trusts another key, no row verifies: each says why, and offers no command to run.
        using var stranger = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var otherKey = stranger.ExportSubjectPublicKeyInfo();
        var distrusting = new SightingReader(new BundleVerifier(proxy.Services.GetRequiredService<TrustedRoot>()), new KeyPolicy([otherKey]), "key:sha256:other", SignerMaterial.ForKey(otherKey), TimeProvider.System);
        var unverified = Parse(await RenderAsync(new HistoryPage(index, distrusting, "test log", PublicUrl.Parse(null)), "?image=scripted.test/app"));
        var rows = unverified.QuerySelectorAll("#sightings tr.sighting");
        Assert.Equal(3, rows.Length);
        Assert.All(rows, r => Assert.NotEqual("verified", r.QuerySelector(".status")!.TextContent));
        Assert.All(rows, r => Assert.Contains("bad", r.QuerySelector(".status")!.ClassList));
        Assert.Empty(unverified.QuerySelectorAll("pre.verify"));

        using (var all = await http.GetAsync("/history?image=scripted.test/app", Ct))
        {
            var full = Parse(await all.Content.ReadAsStringAsync(Ct));
            Assert.Equal(3, full.QuerySelectorAll("#sightings tr.sighting").Length);
            Assert.Null(full.GetElementById("more"));
        }

        // The recorded tag is found by the same page.
        using var found = await http.GetAsync("/history?image=scripted.test/app:a", Ct);
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Single(Parse(await found.Content.ReadAsStringAsync(Ct)).QuerySelectorAll("#sightings tr.sighting"));
    }

    /// <summary>A page made without a server, for pages built with settings the service does not expose.</summary>
    private static async Task<string> RenderAsync(HistoryPage page, string query)
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString(query);
        context.Request.Host = new HostString("evil.example");
        context.Response.Body = new MemoryStream();
        await page.HandleAsync(context);
        Assert.Equal(200, context.Response.StatusCode);
        return Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
    }

    private static async Task<IHtmlDocument> LoadAsync(Uri page) => Parse(await Chromium.DumpDomAsync(page, Ct));

    private static IHtmlDocument Parse(string html) => new HtmlParser().ParseDocument(html);

    private static async Task AssertOciError(HttpClient http, string path, HttpStatusCode status, string code)
    {
        using var response = await http.GetAsync(path, Ct);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var error = Assert.Single(body.RootElement.GetProperty("errors").EnumerateArray());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }
}
