namespace Tlogistry.Web;

/// <summary>
/// Where each Markdown page of the source tree is served: <c>README.md</c> at <c>/</c>,
/// <c>docs/README.md</c> at <c>/docs</c>, <c>docs/NAME.md</c> at <c>/docs/NAME</c>. The pages
/// link each other as files, so that they read the same in the source tree; served, each such
/// link is rewritten to the page's path here. Pure: no I/O.
/// </summary>
internal static class SitePaths
{
    public const string Home = "/";
    public const string Docs = "/docs";
    public const string Readme = "README.md";
    private const string DocsFolder = "docs/";
    private const string Extension = ".md";

    /// <summary>The path a repository file is served at, or null when it is not a served page.</summary>
    public static string? Served(string repositoryPath)
    {
        if (repositoryPath == Readme)
        {
            return Home;
        }

        if (!repositoryPath.StartsWith(DocsFolder, StringComparison.Ordinal) || !repositoryPath.EndsWith(Extension, StringComparison.Ordinal))
        {
            return null;
        }

        var name = repositoryPath[DocsFolder.Length..^Extension.Length];
        if (!IsPageName(name))
        {
            return null;
        }

        return name == "README" ? Docs : $"{Docs}/{name}";
    }

    /// <summary>
    /// A link of the page at <paramref name="fromRepositoryPath"/>, as it must be served: a link
    /// to another served page becomes that page's path (its fragment kept); fragments, absolute
    /// URLs and site paths stay as written; null for a file of the tree that is not served
    /// (the reader of the served page cannot follow it, so it is shown as text).
    /// </summary>
    public static string? Rewrite(string fromRepositoryPath, string href)
    {
        if (href.Length == 0 || href[0] is '#' or '/' || Uri.TryCreate(href, UriKind.Absolute, out _))
        {
            return href;
        }

        var cut = href.IndexOfAny(['#', '?']);
        var target = cut < 0 ? href : href[..cut];
        var rest = cut < 0 ? "" : href[cut..];
        if (Resolve(fromRepositoryPath, target) is not { } path || Served(path) is not { } served)
        {
            return null;
        }

        return served + rest;
    }

    /// <summary>A page name: letters, digits, <c>-</c> and <c>_</c>, so a name never walks out of <c>docs/</c>.</summary>
    public static bool IsPageName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>A relative file reference read from the directory of <paramref name="from"/>; null when it leaves the tree.</summary>
    private static string? Resolve(string from, string relative)
    {
        var segments = new List<string>(from.Split('/')[..^1]);
        foreach (var segment in relative.Split('/'))
        {
            switch (segment)
            {
                case "" or ".":
                    continue;
                case "..":
                    if (segments.Count == 0)
                    {
                        return null;
                    }

                    segments.RemoveAt(segments.Count - 1);
                    break;
                default:
                    segments.Add(segment);
                    break;
            }
        }

        return string.Join('/', segments);
    }
}
