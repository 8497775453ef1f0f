using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Tlogistry.Web;

/// <summary>The HTML around every page: one stylesheet, one navigation bar, no scripts.</summary>
internal static class PageShell
{
    /// <summary>
    /// One stylesheet for every width: nothing is wider than the screen (long references and
    /// commands wrap; a Markdown table scrolls inside itself), and below 48rem the tables of
    /// records become one stacked block per row, each value under its column's name.
    /// </summary>
    private const string Style =
        "*{box-sizing:border-box}" +
        "body{font-family:system-ui,sans-serif;max-width:76rem;margin:1.5rem auto;padding:0 1rem;line-height:1.5;overflow-wrap:break-word}" +
        "pre,code{background:#f4f4f4}code{overflow-wrap:anywhere}pre{padding:.5rem .75rem;white-space:pre-wrap;overflow-wrap:anywhere}" +
        "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top;text-align:left}td a,td.tag,.from{overflow-wrap:anywhere}td.tag{min-width:7rem}time{white-space:nowrap}" +
        ".doc table{display:block;width:auto;max-width:100%;overflow-x:auto}" +
        "nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin-bottom:1.5rem}" +
        ".box{border:1px solid #ccc;padding:.5rem 1rem;margin-bottom:1.5rem}" +
        "form,label{display:flex;flex-wrap:wrap;gap:.25rem .5rem;align-items:center}input{max-width:100%}" +
        ".counts{display:flex;flex-wrap:wrap;gap:.5rem 1rem;list-style:none;padding:0}.counts li{border:1px solid #ccc;padding:.25rem .75rem}" +
        ".note{color:#555;font-size:.9em}.docs{columns:16rem}" +
        "details.ref summary,details.cmd summary{cursor:pointer;white-space:nowrap}.full,pre.verify{user-select:all}.full{display:block}" +
        ".bad,.pin.moved{color:#a00}.ok{color:#060}.pin{font-weight:600}.pin.mutable{color:#555}" +
        "@media (max-width:48rem){table.rows,table.rows tbody,table.rows tr,table.rows td{display:block;width:100%}" +
        "table.rows thead{display:none}table.rows tr{border:1px solid #ccc;margin-bottom:.75rem}" +
        "table.rows td{border:0;border-top:1px solid #eee}table.rows td:first-child{border-top:0}" +
        "table.rows td[data-label]::before{content:attr(data-label) \": \";font-weight:600}}";

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
        <nav><a href="/">tlogistry</a><a href="/history">history</a><a href="/moves">moves</a><a href="/docs">docs</a><a href="/tlog/trusted_root.json">trusted root</a></nav>
        {{body}}
        </body></html>
        """;

    /// <summary>Whether a request's <c>Accept</c> names HTML: a browser gets its errors as a page, anything else as the OCI body.</summary>
    public static bool WantsHtml(HttpRequest request) =>
        MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted)
        && accepted.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");
}
