namespace Tlogistry.Tests.Support.Clients;

/// <summary>
/// Debian's Chromium, headless: loads a page, runs it, and answers the DOM it ended with
/// (<c>--dump-dom</c>). The flags keep it off the network it would otherwise call home to.
/// </summary>
internal static class Chromium
{
    public static async Task<string> DumpDomAsync(Uri page, CancellationToken cancellationToken)
    {
        var executable = File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium" : Tool.Require("chromium", "chromium");
        using var profile = new TempDirectory("tlogistry-chromium-");
        var result = await Tool.RunAsync(
            executable,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile.Path, "--dump-dom", page.AbsoluteUri,
            ],
            TimeSpan.FromSeconds(90),
            cancellationToken: cancellationToken);
        return result.StandardOutput;
    }
}
