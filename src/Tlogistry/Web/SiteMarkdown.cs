using System.Reflection;
using Markdig;
using Markdig.Extensions.AutoIdentifiers;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Tlogistry.Web;

/// <summary>
/// The Markdown pages built into the assembly (the README and <c>docs/*.md</c>, as the project
/// file embeds them) and their one rendering: GitHub's dialect as far as these pages use it,
/// headings with GitHub's anchors (so a link to a section works in the tree and when served),
/// raw HTML disabled, and links between pages rewritten by <see cref="SitePaths"/>.
/// </summary>
internal static class SiteMarkdown
{
    public static MarkdownPipeline Pipeline { get; } = new MarkdownPipelineBuilder()
        .UseAutoIdentifiers(AutoIdentifierOptions.GitHub)
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseTaskLists()
        .UseAutoLinks()
        .DisableHtml()
        .Build();

    /// <summary>The repository paths of the embedded pages, <c>README.md</c> and <c>docs/NAME.md</c>.</summary>
    public static IReadOnlyList<string> Pages { get; } =
        [.. typeof(SiteMarkdown).Assembly.GetManifestResourceNames().Where(n => SitePaths.Served(n) is not null).Order(StringComparer.Ordinal)];

    /// <summary>An embedded page's Markdown; a stand-in heading when the build embedded none.</summary>
    public static string Read(string repositoryPath)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(repositoryPath);
        if (stream is null)
        {
            return "# tlogistry\n";
        }

        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The text of the first level-one heading, for the page's title.</summary>
    public static string Title(string markdown) =>
        markdown.Split('\n').FirstOrDefault(l => l.StartsWith("# ", StringComparison.Ordinal))?[2..].Trim().Replace("`", "", StringComparison.Ordinal) ?? "tlogistry";

    /// <summary>The page as HTML, its links pointing where the pages are served.</summary>
    public static string ToHtml(string markdown, string repositoryPath)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        foreach (var link in document.Descendants<LinkInline>().ToList())
        {
            if (link.Url is null)
            {
                continue;
            }

            if (SitePaths.Rewrite(repositoryPath, link.Url) is { } served)
            {
                link.Url = served;
            }
            else
            {
                Unwrap(link);
            }
        }

        return document.ToHtml(Pipeline);
    }

    /// <summary>Replaces a link by its text.</summary>
    private static void Unwrap(LinkInline link)
    {
        var child = link.FirstChild;
        while (child is not null)
        {
            var next = child.NextSibling;
            child.Remove();
            link.InsertBefore(child);
            child = next;
        }

        link.Remove();
    }
}
