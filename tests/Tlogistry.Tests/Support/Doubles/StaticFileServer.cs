using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Tlogistry.Tests.Support.Doubles;

/// <summary>
/// A stand-in CDN: serves files under <see cref="Root"/> by path, with Range support, and
/// records every request so tests can tell who fetched what.
/// </summary>
public sealed class StaticFileServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<(string Path, string? Authorization)> _requests = [];

    private StaticFileServer(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    public string Root { get; set; } = "/nonexistent";

    public IReadOnlyList<(string Path, string? Authorization)> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<StaticFileServer> StartAsync()
    {
        StaticFileServer? self = null;
        var (app, baseUri) = await LoopbackApp.StartAsync(context => self!.ServeAsync(context));
        self = new StaticFileServer(app, baseUri);
        return self;
    }

    public ValueTask DisposeAsync() => LoopbackApp.StopAsync(_app);

    private async Task ServeAsync(HttpContext context)
    {
        lock (_requests)
        {
            _requests.Add((context.Request.Path.Value ?? "", context.Request.Headers.Authorization.FirstOrDefault()));
        }

        var relative = (context.Request.Path.Value ?? "").TrimStart('/');
        var full = Path.GetFullPath(Path.Combine(Root, relative));
        if (!full.StartsWith(Path.GetFullPath(Root), StringComparison.Ordinal) || !File.Exists(full))
        {
            context.Response.StatusCode = 404;
            return;
        }

        await Results.File(full, "application/octet-stream", enableRangeProcessing: true).ExecuteAsync(context);
    }
}
