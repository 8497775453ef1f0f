namespace Tlogistry.Web;

/// <summary>
/// The home page: the README rendered once at start (as every page is, by <see cref="SiteMarkdown"/>,
/// its links to <c>docs/</c> leading to <see cref="DocsPage"/>), with this instance's identity and log.
/// </summary>
internal sealed class HomePage
{
    public HomePage(string identity, string log, string trustedLogs)
    {
        var readme = SiteMarkdown.ToHtml(SiteMarkdown.Read(SitePaths.Readme), SitePaths.Readme);
        Html = PageShell.Wrap("tlogistry", $"""
            <section class="box"><h2>This instance</h2>
            <p>Identity: <code id="identity">{PageShell.Encode(identity)}</code></p>
            <p>Log: <code id="log">{PageShell.Encode(log)}</code></p>
            <p>Trusted logs: <code id="trusted-logs">{PageShell.Encode(trustedLogs)}</code></p>
            <form action="/history" method="get"><label>Sightings of <input name="image" placeholder="alpine or alpine:3.16.0" size="40"></label> <button>Show</button></form></section>
            {readme}
            """);
    }

    public string Html { get; }
}
