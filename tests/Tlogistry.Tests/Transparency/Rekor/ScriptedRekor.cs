using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Transparency.Rekor;
using Tlogistry.Http;

namespace Tlogistry.Tests.Transparency.Rekor;

/// <summary>One request the double received, with its body read.</summary>
internal sealed record RekorRequest(string Method, string Path, string ContentType, string Body);

/// <summary>
/// A Rekor on loopback whose answers each test scripts: the handler sees the request (body
/// already read) and writes the answer. Every request is recorded, retries included.
/// </summary>
internal sealed class ScriptedRekor : IAsyncDisposable
{
    private int _arrivals;

    private readonly WebApplication _app;

    private ScriptedRekor(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    public ConcurrentQueue<RekorRequest> Requests { get; } = new();

    /// <summary>Requests counted as they arrive, before their body is read (a client may give up during that read).</summary>
    public int Arrivals => Volatile.Read(ref _arrivals);

    public Func<HttpContext, RekorRequest, Task> Handler { get; set; } = (c, _) =>
    {
        c.Response.StatusCode = 404;
        return Task.CompletedTask;
    };

    public static JsonHttpOptions FastOptions => new()
    {
        RequestTimeout = TimeSpan.FromSeconds(10),
        RetryDelay = TimeSpan.FromMilliseconds(5),
        MaxAttempts = 3,
    };

    public static async Task<ScriptedRekor> StartAsync()
    {
        ScriptedRekor? self = null;
        var (app, baseUri) = await LoopbackApp.StartAsync(async context =>
        {
            Interlocked.Increment(ref self!._arrivals);
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var request = new RekorRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.ContentType ?? "", body);
            self!.Requests.Enqueue(request);
            await self.Handler(context, request);
        });
        self = new ScriptedRekor(app, baseUri);
        return self;
    }

    public RekorV1Log V1(byte[] logId, JsonHttpOptions? options = null) =>
        new(BaseUri, logId, new HttpClient(), options ?? FastOptions, NullLogger<RekorV1Log>.Instance);

    public RekorV2Log V2(byte[] logId, JsonHttpOptions? options = null) =>
        new(BaseUri, logId, new HttpClient(), options ?? FastOptions, NullLogger<RekorV2Log>.Instance);

    public static Task Json(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json);
    }

    public ValueTask DisposeAsync() => LoopbackApp.StopAsync(_app);
}
