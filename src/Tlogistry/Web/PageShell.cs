using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Tlogistry.Web;

/// <summary>The HTML around every page: one stylesheet, one navigation bar, no scripts.</summary>
internal static class PageShell
{
    private const string Style =
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}" +
        "pre,code{background:#f4f4f4}pre{padding:.75rem;overflow:auto}table{border-collapse:collapse}" +
        "td,th{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top;text-align:left}" +
        "nav{margin-bottom:1.5rem}nav a{margin-right:1rem}.box{border:1px solid #ccc;padding:.5rem 1rem;margin-bottom:1.5rem}" +
        ".bad{color:#a00}.ok{color:#060}.digest{word-break:break-all}";

    /// <summary>
    /// The pages' Content-Security-Policy: their one stylesheet (by hash) and nothing else
    /// loads or runs; the history form submits to this origin only.
    /// </summary>
    public static readonly string ContentSecurityPolicy =
        $"default-src 'none'; style-src 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Style)))}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    /// <summary>Writes a page with its status, type and policy.</summary>
    public static Task WriteAsync(HttpContext context, int status, string html, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        return context.Response.WriteAsync(html, cancellationToken);
    }

    public static string Wrap(string title, string body) => $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>{{Encode(title)}}</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>{{Style}}</style></head>
        <body>
        <nav><a href="/">tlogistry</a><a href="/history">history</a><a href="/docs">docs</a><a href="/tlog/trusted_root.json">trusted root</a></nav>
        {{body}}
        </body></html>
        """;

    /// <summary>Whether a request's <c>Accept</c> names HTML: a browser gets its errors as a page, anything else as the OCI body.</summary>
    public static bool WantsHtml(HttpRequest request) =>
        MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted)
        && accepted.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");
}
