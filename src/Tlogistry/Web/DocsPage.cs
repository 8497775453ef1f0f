using Microsoft.AspNetCore.Http;
using Tlogistry.Oci;
using Tlogistry.Registry;

namespace Tlogistry.Web;

/// <summary>
/// <c>GET /docs</c> and <c>GET /docs/NAME</c>: the documentation pages built into the assembly,
/// rendered as the home page is, in the same shell and under the same policy. Each is rendered
/// on its first request and kept: most starts serve none. An unknown name answers 404, as the
/// OCI error body, or as a page to a browser.
/// </summary>
internal sealed class DocsPage
{
    public const string Path = SitePaths.Docs;
    public const string NamedPath = SitePaths.Docs + "/{name}";
    private readonly Dictionary<string, Lazy<string>> _pages = new(StringComparer.Ordinal);

    public DocsPage()
    {
        foreach (var page in SiteMarkdown.Pages)
        {
            if (SitePaths.Served(page) is { } served && served != SitePaths.Home)
            {
                _pages[served] = new Lazy<string>(() => Render(page));
            }
        }
    }

    /// <summary>The paths served here, <c>/docs</c> and one per page.</summary>
    public IReadOnlyCollection<string> Paths => _pages.Keys;

    public Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (path.Length > Path.Length && path.EndsWith('/'))
        {
            path = path[..^1];
        }

        if (_pages.TryGetValue(path, out var html))
        {
            return PageShell.WriteAsync(context, 200, html.Value, context.RequestAborted);
        }

        var error = new OciError(OciErrorCodes.NameUnknown, $"no documentation page at {path}; the pages are listed at {Path}");
        if (!PageShell.WantsHtml(context.Request))
        {
            return OciResponses.WriteErrorAsync(context, 404, error, RequestOutcome.NotFound, context.RequestAborted);
        }

        RequestOutcome.Set(context, RequestOutcome.NotFound);
        var body = $"<p class=\"bad\" id=\"error\">{PageShell.Encode(error.Code)}: {PageShell.Encode(error.Message)}</p>\n<p><a href=\"{Path}\">The documentation</a></p>";
        return PageShell.WriteAsync(context, 404, PageShell.Wrap("not found", body), context.RequestAborted);
    }

    private static string Render(string repositoryPath)
    {
        var markdown = SiteMarkdown.Read(repositoryPath);
        return PageShell.Wrap(SiteMarkdown.Title(markdown) + " · tlogistry", "<div class=\"doc\">" + SiteMarkdown.ToHtml(markdown, repositoryPath) + "</div>");
    }
}
