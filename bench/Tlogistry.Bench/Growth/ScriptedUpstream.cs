using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tlogistry.Bench.Growth;

/// <summary>
/// The registry behind tlogistry in the growth benchmark: any tag of a <c>library/g*</c>
/// repository exists and serves the manifest <see cref="GrowthTags.Manifest"/> makes from it,
/// so a million tags cost no storage. It speaks the OCI distribution API for what it serves:
/// <c>GET /v2/</c>, <c>HEAD</c> and <c>GET</c> of a manifest with <c>Content-Type</c>,
/// <c>Content-Length</c> and <c>Docker-Content-Digest</c>, and the spec's JSON errors for the
/// rest. A manifest asked for by digest is unknown (404 MANIFEST_UNKNOWN): nothing is kept to
/// find it by.
/// </summary>
internal sealed partial class ScriptedUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ScriptedUpstream(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    public static async Task<ScriptedUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.AddServerHeader = false;
        });
        var app = builder.Build();
        app.Run(ServeAsync);
        await app.StartAsync();
        var address = app.Urls.First();
        return new ScriptedUpstream(app, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static Task ServeAsync(HttpContext c)
    {
        var path = c.Request.Path.Value ?? "";
        var head = HttpMethods.IsHead(c.Request.Method);
        c.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        if (!head && !HttpMethods.IsGet(c.Request.Method))
        {
            return ErrorAsync(c, 405, "UNSUPPORTED", "the operation is unsupported");
        }

        if (path is "/v2/" or "/v2")
        {
            c.Response.ContentType = "application/json";
            c.Response.ContentLength = 2;
            return head ? Task.CompletedTask : c.Response.WriteAsync("{}");
        }

        var m = ManifestPath().Match(path);
        if (!m.Success)
        {
            return ErrorAsync(c, 404, "NAME_UNKNOWN", "repository name not known to registry");
        }

        var repository = m.Groups["name"].Value;
        var reference = m.Groups["reference"].Value;
        if (!repository.StartsWith("library/g", StringComparison.Ordinal))
        {
            return ErrorAsync(c, 404, "NAME_UNKNOWN", "repository name not known to registry");
        }

        if (!TagPattern().IsMatch(reference))
        {
            return ErrorAsync(c, 404, "MANIFEST_UNKNOWN", "manifest unknown");
        }

        var body = GrowthTags.Manifest(repository, reference);
        c.Response.ContentType = GrowthTags.ManifestType;
        c.Response.ContentLength = body.Length;
        c.Response.Headers["Docker-Content-Digest"] = GrowthTags.Digest(body);
        return head ? Task.CompletedTask : c.Response.Body.WriteAsync(body).AsTask();
    }

    private static Task ErrorAsync(HttpContext c, int status, string code, string message)
    {
        var body = System.Text.Encoding.UTF8.GetBytes($$"""{"errors":[{"code":"{{code}}","message":"{{message}}"}]}""");
        c.Response.StatusCode = status;
        c.Response.ContentType = "application/json";
        c.Response.ContentLength = body.Length;
        return HttpMethods.IsHead(c.Request.Method) ? Task.CompletedTask : c.Response.Body.WriteAsync(body).AsTask();
    }

    // The distribution spec's repository name and the manifest reference after it.
    [GeneratedRegex(@"^/v2/(?<name>[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*)/manifests/(?<reference>[^/]+)$")]
    private static partial Regex ManifestPath();

    [GeneratedRegex(@"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")]
    private static partial Regex TagPattern();
}
