namespace Tlogistry.Tests.Readme;

/// <summary>
/// The README and the pages under docs/ link each other by file and heading: every such link in
/// the clone's Markdown must lead somewhere, as it would on a forge.
/// </summary>
public sealed class MarkdownLinkTests
{
    [Fact]
    public void EveryRelativeLinkInTheCloneNamesAFileAndHeadingThatExist()
    {
        var files = MarkdownLinks.MarkdownFiles(RepositoryRoot.Path).Select(f => Path.GetRelativePath(RepositoryRoot.Path, f)).ToList();
        Assert.Contains("README.md", files);
        Assert.Contains(Path.Combine("docs", "CONFIGURATION.md"), files);

        var broken = MarkdownLinks.Broken(RepositoryRoot.Path);
        Assert.True(broken.Count == 0, "links that lead nowhere:\n" + string.Join('\n', broken));
    }

    [Fact]
    public void ALinkToAMissingFileOrHeadingIsReportedAndAGoodOneIsNot()
    {
        using var tree = new TempDirectory();
        Directory.CreateDirectory(tree.Combine("docs"));
        File.WriteAllText(tree.Combine("README.md"), """
            # Project

            ## Set up `now`

            See [the page](docs/PAGE.md#a-section), [its top](docs/PAGE.md), [here](#set-up-now),
            [the site](https://example.com/missing.md), [gone](docs/GONE.md), [nowhere](docs/PAGE.md#no-such-section)
            and [not here](#missing).
            """);
        File.WriteAllText(tree.Combine("docs", "PAGE.md"), "# Page\n\n## A section\n\nBack to [the README](../README.md#project).\n");

        var broken = MarkdownLinks.Broken(tree.Path);

        Assert.Equal(
            [
                "README.md: docs/GONE.md (no such file)",
                "README.md: docs/PAGE.md#no-such-section (no heading with that anchor in docs/PAGE.md)",
                "README.md: #missing (no heading with that anchor in README.md)",
            ],
            broken);
    }

    [Fact]
    public void HeadingsGetTheAnchorsGithubGivesThem()
    {
        // The anchors links in the tree are written with, as a forge derives them from the heading text.
        var anchors = MarkdownLinks.Anchors("# tlogistry\n\n## Serving a log: `tlogistry log serve`\n\n## In a browser: `/history`\n\n## Cloud Run (Terraform)\n");
        string[] github = ["tlogistry", "serving-a-log-tlogistry-log-serve", "in-a-browser-history", "cloud-run-terraform"];
        Assert.Equal(github.Order(StringComparer.Ordinal), anchors.Order(StringComparer.Ordinal));
    }
}
