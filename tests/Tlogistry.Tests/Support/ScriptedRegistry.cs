using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tlogistry.Tests.Support;

/// <summary>
/// An upstream that misbehaves on purpose (a lying digest header, 5xx, 429), for the faults a
/// real Distribution registry never shows. It answers the distribution-spec paths only:
/// <c>/v2/</c> and <c>/v2/&lt;name&gt;/manifests/&lt;ref&gt;</c>, each from a handler the test sets.
/// </summary>
public sealed class ScriptedRegistry : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ScriptedRegistry(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    /// <summary>Handles every request under /v2/&lt;name&gt;/…; the default answers 404.</summary>
    public Func<HttpContext, Task> Handler { get; set; } = c =>
    {
        c.Response.StatusCode = 404;
        return Task.CompletedTask;
    };

    public int Requests { get; private set; }

    public static async Task<ScriptedRegistry> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        ScriptedRegistry? self = null;
        app.Run(context =>
        {
            self!.Requests++;
            if (context.Request.Path == "/v2/")
            {
                return Task.CompletedTask;
            }

            return self.Handler(context);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new ScriptedRegistry(app, new Uri(address + "/"));
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
