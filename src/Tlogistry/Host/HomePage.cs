using System.Net;
using System.Reflection;
using Markdig;

namespace Tlogistry.Host;

/// <summary>The home page: the README rendered to HTML, with this instance's identity and log.</summary>
internal sealed class HomePage
{
    private readonly string _html;

    public HomePage(string identity, string log, string trustedLogs)
    {
        var markdown = ReadReadme();
        var pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().DisableHtml().Build();
        var body = Markdown.ToHtml(markdown, pipeline);
        _html = $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>tlogistry</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
            pre,code{background:#f4f4f4}pre{padding:.75rem;overflow:auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem}
            .instance{border:1px solid #ccc;padding:.5rem 1rem;margin-bottom:1.5rem}</style></head>
            <body>
            <section class="instance"><h2>This instance</h2>
            <p>Identity: <code id="identity">{{WebUtility.HtmlEncode(identity)}}</code></p>
            <p>Log: <code id="log">{{WebUtility.HtmlEncode(log)}}</code></p>
            <p>Trusted logs: <code id="trusted-logs">{{WebUtility.HtmlEncode(trustedLogs)}}</code></p></section>
            {{body}}
            </body></html>
            """;
    }

    public string Html => _html;

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
