using System.Net;
using System.Text.Json;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Tlogistry.Tests.Readme;
using Tlogistry.Web;

namespace Tlogistry.Tests.Web;

/// <summary>
/// The home page at <c>/</c> and the pages of docs/ at <c>/docs/NAME</c>, as a running service
/// serves them: every link that stays on the site answers, and every section it names is there.
/// </summary>
public sealed class DocsPageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryLinkOnTheHomePageAndTheDocsPagesThatStaysOnTheSiteAnswers200()
    {
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, [], null, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };

        // Crawl from /: every page reached, every link on a page (fragments checked on the page they name).
        var pages = new Dictionary<string, IHtmlDocument?>(StringComparer.Ordinal);
        var fragments = new List<(string From, string Path, string Id)>();
        var queue = new Queue<string>(["/"]);
        while (queue.TryDequeue(out var path))
        {
            if (pages.ContainsKey(path))
            {
                continue;
            }

            using var response = await http.GetAsync(path, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode}");
            var html = response.Content.Headers.ContentType?.MediaType == "text/html";
            pages[path] = html ? new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync(Ct)) : null;
            if (!html || !(path == "/" || path.StartsWith(DocsPage.Path, StringComparison.Ordinal)))
            {
                continue; // a page of another kind (history, trust material) answered: its own tests cover it
            }

            Assert.Equal(PageShell.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
            foreach (var href in pages[path]!.QuerySelectorAll("a[href]").Select(a => a.GetAttribute("href")!))
            {
                if (OnSite(path, href) is not { } target)
                {
                    continue;
                }

                if (target.Fragment.Length > 1)
                {
                    fragments.Add((path, target.AbsolutePath, Uri.UnescapeDataString(target.Fragment[1..])));
                }

                queue.Enqueue(target.PathAndQuery);
            }
        }

        foreach (var (from, path, id) in fragments)
        {
            Assert.True(pages[path]?.GetElementById(id) is not null, $"{from} links {path}#{id}, which has no such id");
        }

        // Every page of docs/ in the clone is served, and reached from /.
        var docs = Directory.EnumerateFiles(RepositoryRoot.Combine("docs"), "*.md").Select(f => SitePaths.Served("docs/" + Path.GetFileName(f))!);
        Assert.All(docs, d => Assert.Contains(d, pages.Keys));

        // The home page is the instance and a way into the docs, not the README (none of its headings is there).
        var readme = File.ReadAllText(RepositoryRoot.Combine("README.md"));
        var home = pages["/"]!;
        Assert.All(MarkdownLinks.Anchors(readme), id => Assert.Null(home.GetElementById(id)));
        Assert.NotNull(home.GetElementById("identity"));
        Assert.All(docs, d => Assert.Contains(d, home.QuerySelectorAll("#docs a").Select(a => a.GetAttribute("href"))));
        Assert.Contains("/docs/CONFIGURATION", home.QuerySelectorAll("a").Select(a => a.GetAttribute("href")));

        // A docs page is its Markdown: each heading, and no link left pointing at a .md file.
        var configuration = pages["/docs/CONFIGURATION"]!;
        Assert.All(MarkdownLinks.Anchors(File.ReadAllText(RepositoryRoot.Combine("docs", "CONFIGURATION.md"))), id => Assert.NotNull(configuration.GetElementById(id)));
        Assert.DoesNotContain(pages.Values.OfType<IHtmlDocument>().SelectMany(p => p.QuerySelectorAll("a[href]")), a => a.GetAttribute("href")!.Split('#')[0].EndsWith(".md", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnUnknownPageAnswers404AsAnOciErrorOrAsAPageToABrowser()
    {
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, [], null, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };

        foreach (var path in new[] { "/docs/NOPE", "/docs/configuration", "/docs/CONFIGURATION.md", "/docs/..%2FREADME", "/docs/ARCHITECTURE/x" })
        {
            using var response = await http.GetAsync(path, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path} answered {(int)response.StatusCode}");
            if (response.Content.Headers.ContentType?.MediaType == "application/json")
            {
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
                Assert.NotEmpty(body.RootElement.GetProperty("errors").EnumerateArray());
            }
        }

        using (var json = await http.GetAsync("/docs/NOPE", Ct))
        {
            Assert.Equal("application/json", json.Content.Headers.ContentType!.MediaType);
            using var body = JsonDocument.Parse(await json.Content.ReadAsStringAsync(Ct));
            Assert.Equal("NAME_UNKNOWN", Assert.Single(body.RootElement.GetProperty("errors").EnumerateArray()).GetProperty("code").GetString());
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "/docs/%3Cscript%3E");
        request.Headers.Accept.ParseAdd("text/html");
        using var browser = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.NotFound, browser.StatusCode);
        Assert.Equal("text/html", browser.Content.Headers.ContentType!.MediaType);
        Assert.Equal(PageShell.ContentSecurityPolicy, browser.Headers.GetValues("Content-Security-Policy").Single());
        var page = await browser.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("<script>", page, StringComparison.Ordinal);
        Assert.StartsWith("NAME_UNKNOWN: ", new HtmlParser().ParseDocument(page).GetElementById("error")!.TextContent, StringComparison.Ordinal);
    }

    /// <summary>A link that stays on this site, resolved against the page it is on; null for any other.</summary>
    private static Uri? OnSite(string page, string href)
    {
        var site = new Uri("http://site.test");
        var target = new Uri(new Uri(site, page), href);
        return target.Authority == site.Authority && target.Scheme == site.Scheme ? target : null;
    }
}
