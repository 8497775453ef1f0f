using System.Reflection;
using Markdig;

namespace Tlogistry.Web;

/// <summary>The home page: the README rendered to HTML, with this instance's identity and log.</summary>
internal sealed class HomePage
{
    public HomePage(string identity, string log, string trustedLogs)
    {
        var pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().DisableHtml().Build();
        var readme = Markdown.ToHtml(ReadReadme(), pipeline);
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

    private static string ReadReadme()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("README.md");
        if (stream is null)
        {
            return "# tlogistry\n";
        }

        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
