using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Tlogistry.Tests.Support.Doubles;

/// <summary>
/// A webhook endpoint on loopback Kestrel, speaking plain HTTP/1.1: every POST is kept (its
/// headers and body) and then answered as <see cref="Reply"/> says for that request's number
/// (1 for the first). A reply can be a status (with <c>Retry-After</c>), a dropped connection,
/// silence until the client gives up, an endless body, or a wait on a gate the test opens.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<Received> _received = [];
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _answered;

    private WebhookReceiver(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    /// <summary>The URL to give <c>--notify</c>, with a path and a query a secret would travel in.</summary>
    public Uri HookUri => new(BaseUri, "hooks/tlogistry?token=s3cret");

    /// <summary>Every request that reached the handler, in arrival order, answered or not.</summary>
    public IReadOnlyList<Received> Requests
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Requests whose answer has been written (a status, not a drop or silence).</summary>
    public int Answered => Volatile.Read(ref _answered);

    /// <summary>Lets every request waiting on <see cref="Reply.Gated"/> be answered 200.</summary>
    public void Open() => _gate.TrySetResult();

    public static async Task<WebhookReceiver> StartAsync(Func<int, Reply> script)
    {
        WebhookReceiver? self = null;
        var (app, baseUri) = await LoopbackApp.StartAsync(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            int number;
            lock (self!._received)
            {
                self._received.Add(new Received(
                    context.Request.Method,
                    context.Request.Path + context.Request.QueryString,
                    context.Request.Protocol,
                    context.Request.ContentType,
                    body.ToArray()));
                number = self._received.Count;
            }

            await self.AnswerAsync(context, script(number));
        });
        self = new WebhookReceiver(app, baseUri);
        return self;
    }

    private async Task AnswerAsync(HttpContext context, Reply reply)
    {
        switch (reply.Kind)
        {
            case ReplyKind.Drop:
                context.Abort();
                return;
            case ReplyKind.Silent:
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            case ReplyKind.Gated:
                await _gate.Task.WaitAsync(context.RequestAborted);
                break;
        }

        context.Response.StatusCode = reply.Status;
        if (reply.RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        if (reply.Location is { } location)
        {
            context.Response.Headers.Location = location;
        }

        Interlocked.Increment(ref _answered);
        if (reply.Kind == ReplyKind.Endless)
        {
            // A body that never ends: the sender must not read it to the end.
            var chunk = new byte[16 * 1024];
            try
            {
                while (!context.RequestAborted.IsCancellationRequested)
                {
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // The client hung up: what it should do.
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Open();
        return LoopbackApp.StopAsync(_app);
    }

    public sealed record Received(string Method, string Target, string Protocol, string? ContentType, byte[] Body);

    public enum ReplyKind
    {
        Status,
        Drop,
        Silent,
        Gated,
        Endless,
    }

    public sealed record Reply(ReplyKind Kind, int Status, string? RetryAfter = null, string? Location = null)
    {
        public static Reply Ok { get; } = new(ReplyKind.Status, 200);

        public static Reply Drop { get; } = new(ReplyKind.Drop, 0);

        public static Reply Silent { get; } = new(ReplyKind.Silent, 0);

        public static Reply Gated { get; } = new(ReplyKind.Gated, 200);

        public static Reply Endless { get; } = new(ReplyKind.Endless, 200);

        public static Reply With(int status, string? retryAfter = null, string? location = null) => new(ReplyKind.Status, status, retryAfter, location);
    }
}
