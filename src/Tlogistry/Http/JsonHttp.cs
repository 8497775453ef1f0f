using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Tlogistry.Telemetry;

namespace Tlogistry.Http;

/// <summary>
/// The retrying transport of the clients that talk JSON to a service (Rekor logs, Fulcio, token
/// endpoints): each attempt sends and reads the whole body under one timeout, so a service that
/// stalls mid-body is caught like one that never answers; answers are bounded. Network errors,
/// timeouts, 5xx and 429 are retried a bounded number of times with jittered exponential
/// back-off (a Retry-After up to <see cref="JsonHttpOptions.MaxRetryAfter"/> wins); any other
/// status goes back to the caller. What is still failing after the last attempt becomes
/// <see cref="HttpTransportException"/>, which each client turns into its own exception.
/// </summary>
internal sealed partial class JsonHttp
{
    /// <summary>
    /// An HttpClient for services the operator names (a log, Fulcio): no redirects followed, no
    /// client-wide timeout (each attempt has its own), connections renewed so DNS changes are seen.
    /// </summary>
    public static HttpClient CreateClient() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };

    private readonly HttpClient _http;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<HttpAnswer> _pipeline;

    public JsonHttp(HttpClient http, JsonHttpOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1);

        _http = http;
        Options = options;
        _logger = logger ?? NullLogger.Instance;
        var builder = new ResiliencePipelineBuilder<HttpAnswer>();
        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpAnswer>
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome)),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result?.RetryAfter),
                OnRetry = args =>
                {
                    Log.Retrying(_logger, args.Context.OperationKey ?? "", args.AttemptNumber + 1, Describe(args.Outcome), args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            });
        }

        _pipeline = builder.AddTimeout(options.RequestTimeout).Build();
    }

    public JsonHttpOptions Options { get; }

    /// <summary>
    /// Sends with retries and returns the final answer when it is neither 5xx nor 429. A JSON
    /// body, when given, is sent as <c>application/json</c>; <c>Accept: application/json</c> is
    /// set before <paramref name="headers"/> may add to or change the request headers.
    /// </summary>
    /// <exception cref="HttpTransportException">No usable answer after the last attempt, or an answer over <paramref name="maxBytes"/>.</exception>
    public async Task<HttpAnswer> SendAsync(HttpMethod method, Uri url, byte[]? json, int maxBytes, Action<HttpRequestHeaders>? headers, CancellationToken cancellationToken)
    {
        var answer = await SendForAnswerAsync(method, url, json, maxBytes, headers, cancellationToken);
        return answer.IsUnavailable
            ? throw new HttpTransportException($"{method} {url} answered {(int)answer.Status} {answer.Status}{answer.Detail()}")
            : answer;
    }

    /// <summary>
    /// As <see cref="SendAsync"/>, but a 5xx or 429 that outlasted the retries is returned as the
    /// answer, for callers that report the service's own error; only no answer at all throws.
    /// </summary>
    /// <exception cref="HttpTransportException">No answer after the last attempt, or an answer over <paramref name="maxBytes"/>.</exception>
    public async Task<HttpAnswer> SendForAnswerAsync(HttpMethod method, Uri url, byte[]? json, int maxBytes, Action<HttpRequestHeaders>? headers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(url);
        var request = new Request(method, url, json, maxBytes, headers);
        var context = ResilienceContextPool.Shared.Get(request.What, cancellationToken);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    try
                    {
                        return Outcome.FromResult(await state.Self.AttemptAsync(state.Request, ctx.CancellationToken));
                    }
                    catch (Exception e)
                    {
                        return Outcome.FromException<HttpAnswer>(e);
                    }
                },
                context,
                (Self: this, Request: request));
            if (outcome.Exception is { } error)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw error switch
                {
                    HttpTransportException transport => transport,
                    TimeoutRejectedException or TimeoutException => new HttpTransportException($"{request.What} did not answer within {Options.RequestTimeout.TotalSeconds:0.###} s", error),
                    HttpRequestException or IOException => new HttpTransportException($"{request.What} failed: {error.Message}", error),
                    _ => error,
                };
            }

            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// Transport failures, timeouts, 5xx and 429 are worth another try; a Retry-After longer than
    /// we are willing to wait is not (the final answer then reports the service as unavailable).
    /// </summary>
    private bool ShouldRetry(Outcome<HttpAnswer> outcome) => outcome switch
    {
        { Exception: HttpRequestException or IOException or TimeoutRejectedException or TimeoutException } => true,
        { Exception: not null } => false,
        { Result: { } r } => r.IsUnavailable && (r.RetryAfter is null || r.RetryAfter <= Options.MaxRetryAfter),
        _ => false,
    };

    private static string Describe(Outcome<HttpAnswer> outcome) =>
        outcome.Exception is { } e ? e.GetType().Name + ": " + e.Message : ((int)outcome.Result!.Status).ToString(CultureInfo.InvariantCulture);

    private static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date > now ? date - now : TimeSpan.Zero,
        _ => null,
    };

    private async Task<HttpAnswer> AttemptAsync(Request r, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(r.Method, r.Url);
        request.Headers.Accept.ParseAdd("application/json");
        if (r.Json is not null)
        {
            request.Content = new ByteArrayContent(r.Json);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        r.Headers?.Invoke(request.Headers);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var body = await ReadBoundedAsync(response.Content, r, cancellationToken);
            return new HttpAnswer(response.StatusCode, body, response.Headers.Location, RetryAfter(response.Headers.RetryAfter, DateTimeOffset.UtcNow));
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient's own Timeout, shorter than ours: the same failure as our timeout.
            throw new TimeoutException($"{r.What} timed out", e);
        }
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, Request r, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is { } declared && declared > r.MaxBytes)
        {
            throw new HttpTransportException($"{r.What}: answer is {declared} bytes, more than the {r.MaxBytes} allowed");
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > r.MaxBytes)
            {
                throw new HttpTransportException($"{r.What}: answer exceeds the {r.MaxBytes} bytes allowed");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private sealed record Request(HttpMethod Method, Uri Url, byte[]? Json, int MaxBytes, Action<HttpRequestHeaders>? Headers)
    {
        public string What { get; } = $"{Method} {Url}";
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Transparency.HttpRetrying, Level = LogLevel.Warning, Message = "{Request}: attempt {Attempt} failed ({Reason}); retrying in {DelayMs:0} ms")]
        public static partial void Retrying(ILogger logger, string request, int attempt, string reason, double delayMs);
    }
}
