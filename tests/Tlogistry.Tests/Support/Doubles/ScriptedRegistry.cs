using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Tlogistry.Tests.Support.Doubles;

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
        ScriptedRegistry? self = null;
        var (app, baseUri) = await LoopbackApp.StartAsync(context =>
        {
            self!.Requests++;
            return context.Request.Path == "/v2/" ? Task.CompletedTask : self.Handler(context);
        });
        self = new ScriptedRegistry(app, baseUri);
        return self;
    }

    public ValueTask DisposeAsync() => LoopbackApp.StopAsync(_app);
}
