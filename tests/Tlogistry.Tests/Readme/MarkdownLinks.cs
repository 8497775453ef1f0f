using Markdig;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using Tlogistry.Web;

namespace Tlogistry.Tests.Readme;

/// <summary>
/// The relative links of a tree's Markdown files that lead nowhere: to a file or folder that
/// does not exist, or to a heading a Markdown file does not have. Headings get their anchors
/// from the pipeline the service renders with, which gives GitHub's.
/// </summary>
internal static class MarkdownLinks
{
    private static readonly string[] Skipped = ["bin", "obj", "node_modules", "TestResults"];

    /// <summary>One line per broken link: "FILE: TARGET (why)".</summary>
    public static List<string> Broken(string root)
    {
        var anchors = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var broken = new List<string>();
        foreach (var file in MarkdownFiles(root))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            foreach (var url in Links(File.ReadAllText(file)))
            {
                if (Uri.TryCreate(url, UriKind.Absolute, out _) || url.StartsWith('/'))
                {
                    continue;
                }

                var hash = url.IndexOf('#', StringComparison.Ordinal);
                var target = Uri.UnescapeDataString(hash < 0 ? url : url[..hash]);
                var query = target.IndexOf('?', StringComparison.Ordinal);
                target = query < 0 ? target : target[..query];
                var fragment = hash < 0 ? null : url[(hash + 1)..];
                var path = target.Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, target));
                if (!File.Exists(path) && !Directory.Exists(path))
                {
                    broken.Add($"{relative}: {url} (no such file)");
                }
                else if (fragment is { Length: > 0 } && path.EndsWith(".md", StringComparison.Ordinal) && File.Exists(path)
                    && !AnchorsOf(path, anchors).Contains(fragment))
                {
                    broken.Add($"{relative}: {url} (no heading with that anchor in {Path.GetRelativePath(root, path)})");
                }
            }
        }

        return broken;
    }

    /// <summary>Every Markdown file of the tree, outside build output and hidden folders.</summary>
    public static IEnumerable<string> MarkdownFiles(string root) =>
        Directory.EnumerateFiles(root, "*.md", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar)[..^1].Any(d => d.StartsWith('.') || Skipped.Contains(d)))
            .Order(StringComparer.Ordinal);

    /// <summary>The URLs of a document's links and images, as written.</summary>
    public static IEnumerable<string> Links(string markdown) =>
        Markdown.Parse(markdown, SiteMarkdown.Pipeline).Descendants<LinkInline>().Select(l => l.Url).OfType<string>();

    /// <summary>The anchors of a document's headings.</summary>
    public static HashSet<string> Anchors(string markdown) =>
        [.. Markdown.Parse(markdown, SiteMarkdown.Pipeline).Descendants<HeadingBlock>().Select(h => h.GetAttributes().Id).OfType<string>()];

    private static HashSet<string> AnchorsOf(string path, Dictionary<string, HashSet<string>> known)
    {
        if (!known.TryGetValue(path, out var anchors))
        {
            anchors = Anchors(File.ReadAllText(path));
            known[path] = anchors;
        }

        return anchors;
    }
}
