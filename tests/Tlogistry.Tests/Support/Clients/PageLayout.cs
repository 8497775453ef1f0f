using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tlogistry.Tests.Support.Clients;

/// <summary>One element whose box reaches past the viewport's right edge.</summary>
public sealed record Overflow(string Tag, string Id, string ClassName, double Right, string Text);

/// <summary>One page as Chromium laid it out at one width: what scrolls, what sticks out, what it says, its screenshot.</summary>
public sealed record PageMeasure(
    string Name, string Url, int Width, int Status, string Screenshot, int Viewport, int ScrollWidth,
    IReadOnlyList<Overflow> Overflowing, string Text, string Html);

/// <summary>
/// Debian's Chromium driven by playwright-core (tests/browser/layout.js, installed from npm by
/// scripts/install-test-deps.sh, which also installs the browser): each page loaded at each
/// width, measured, and saved as a full-page screenshot.
/// </summary>
public static class PageLayout
{
    public const string Browser = "/usr/bin/chromium";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, NumberHandling = JsonNumberHandling.AllowReadingFromString };

    private static string Script => RepositoryRoot.Combine("tests", "browser", "layout.js");

    /// <summary>Skips without Chromium (a machine the install script never ran on); fails when it ran but playwright-core is missing.</summary>
    public static void Require()
    {
        Assert.SkipUnless(File.Exists(Browser), $"Chromium is not installed at {Browser}: the page layout tests need it (sudo bash scripts/install-test-deps.sh installs it)");
        Assert.True(
            File.Exists(RepositoryRoot.Combine("tests", "browser", "node_modules", "playwright-core", "package.json")),
            "playwright-core is not installed in tests/browser: run scripts/install-test-deps.sh");
    }

    public static async Task<IReadOnlyList<PageMeasure>> MeasureAsync(
        string screenshots, IReadOnlyList<(string Name, Uri Url)> pages, IReadOnlyList<(int Width, int Height)> sizes, CancellationToken cancellationToken)
    {
        var pagesJson = JsonSerializer.Serialize(pages.Select(p => new { name = p.Name, url = p.Url.AbsoluteUri }));
        var sizesJson = JsonSerializer.Serialize(sizes.Select(s => new[] { s.Width, s.Height }));
        var node = Tool.Require("node", "nodejs");
        var result = await Tool.RunAsync(node, [Script, screenshots, pagesJson, sizesJson], TimeSpan.FromSeconds(180), cancellationToken: cancellationToken);
        return JsonSerializer.Deserialize<List<PageMeasure>>(result.StandardOutputBytes, Json)!;
    }
}
