using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tlogistry.Tests.Support;

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
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        StaticFileServer? self = null;
        app.Run(async context =>
        {
            lock (self!._requests)
            {
                self._requests.Add((context.Request.Path.Value ?? "", context.Request.Headers.Authorization.FirstOrDefault()));
            }

            var relative = (context.Request.Path.Value ?? "").TrimStart('/');
            var full = Path.GetFullPath(Path.Combine(self.Root, relative));
            if (!full.StartsWith(Path.GetFullPath(self.Root), StringComparison.Ordinal) || !File.Exists(full))
            {
                context.Response.StatusCode = 404;
                return;
            }

            await Results.File(full, "application/octet-stream", enableRangeProcessing: true).ExecuteAsync(context);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new StaticFileServer(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/"));
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
