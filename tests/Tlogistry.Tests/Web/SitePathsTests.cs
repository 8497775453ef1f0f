using Tlogistry.Web;

namespace Tlogistry.Tests.Web;

/// <summary>How the pages' links, written between files of the tree, are served.</summary>
public sealed class SitePathsTests
{
    [Theory]
    [InlineData("README.md", "/")]
    [InlineData("docs/README.md", "/docs")]
    [InlineData("docs/CONFIGURATION.md", "/docs/CONFIGURATION")]
    [InlineData("docs/HOW-IT-WORKS.md", "/docs/HOW-IT-WORKS")]
    [InlineData("fuzz/README.md", null)]
    [InlineData("docs/sub/PAGE.md", null)]
    [InlineData("docs/notes.txt", null)]
    [InlineData("docs/.md", null)]
    public void PagesAreServedAtTheirName(string repositoryPath, string? served) =>
        Assert.Equal(served, SitePaths.Served(repositoryPath));

    [Theory]
    // From the README, at the root of the tree.
    [InlineData("README.md", "docs/LOGS.md", "/docs/LOGS")]
    [InlineData("README.md", "docs/DEPLOYING.md#tls", "/docs/DEPLOYING#tls")]
    [InlineData("README.md", "./docs/README.md", "/docs")]
    [InlineData("README.md", "#set-up", "#set-up")]
    // From a page under docs/.
    [InlineData("docs/LOGS.md", "VERIFYING.md#what-a-proxy-publishes", "/docs/VERIFYING#what-a-proxy-publishes")]
    [InlineData("docs/LOGS.md", "../README.md", "/")]
    [InlineData("docs/LOGS.md", "../README.md#set-up", "/#set-up")]
    [InlineData("docs/LOGS.md", "README.md", "/docs")]
    // Left as written: absolute URLs and the site's own paths.
    [InlineData("docs/LOGS.md", "https://c2sp.org/tlog-tiles", "https://c2sp.org/tlog-tiles")]
    [InlineData("docs/LOGS.md", "/history?image=alpine", "/history?image=alpine")]
    // Files of the tree that are not served, or outside it: no link.
    [InlineData("docs/TESTING.md", "../fuzz/README.md", null)]
    [InlineData("docs/TESTING.md", "../scripts/test.sh", null)]
    [InlineData("docs/TESTING.md", "../../outside.md", null)]
    [InlineData("README.md", "docs/../../docs/LOGS.md", null)]
    public void LinksBetweenPagesLeadToTheServedPaths(string from, string href, string? served) =>
        Assert.Equal(served, SitePaths.Rewrite(from, href));
}
