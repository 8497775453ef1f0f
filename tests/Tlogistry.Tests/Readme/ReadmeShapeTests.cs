using System.Text.RegularExpressions;

namespace Tlogistry.Tests.Readme;

/// <summary>
/// The README is the front door: what tlogistry is and the two set-up commands on its first
/// screen, short enough to read whole, and a link to every page that holds the rest.
/// </summary>
public sealed partial class ReadmeShapeTests
{
    private const int MaxLines = 250;
    private const int FirstScreen = 40;

    [Fact]
    public void TheReadmeFitsInAboutTwoHundredFiftyLines()
    {
        var lines = File.ReadAllLines(RepositoryRoot.Combine("README.md"));
        Assert.True(lines.Length <= MaxLines, $"README.md has {lines.Length} lines; detail belongs in a docs/ page it links (at most {MaxLines})");
    }

    [Fact]
    public void TheSetUpCommandsAreOnTheFirstScreen()
    {
        var lines = File.ReadAllLines(RepositoryRoot.Combine("README.md"));
        var run = Array.FindIndex(lines, l => l.StartsWith("dotnet run --project ", StringComparison.Ordinal) && l.Contains(" -- serve", StringComparison.Ordinal));
        var test = Array.FindIndex(lines, l => l.StartsWith("bash scripts/test.sh", StringComparison.Ordinal));
        Assert.InRange(run, 0, FirstScreen);
        Assert.InRange(test, 0, FirstScreen);
    }

    [Fact]
    public void EveryDocsPageIsLinkedFromTheReadme()
    {
        var readme = File.ReadAllText(RepositoryRoot.Combine("README.md"));
        var linked = DocsLink().Matches(readme).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var pages = Directory.GetFiles(RepositoryRoot.Combine("docs"), "*.md")
            .Select(Path.GetFileName)
            .Where(name => name != "README.md")
            .ToList();

        Assert.NotEmpty(pages);
        var unlinked = pages.Where(p => !linked.Contains(p!)).ToList();
        Assert.True(unlinked.Count == 0, "docs pages the README does not link: " + string.Join(", ", unlinked));
    }

    [GeneratedRegex(@"\]\(docs/([A-Za-z0-9-]+\.md)(?:#[^)]*)?\)")]
    private static partial Regex DocsLink();
}
