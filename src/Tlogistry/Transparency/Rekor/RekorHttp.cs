using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Tlogistry.Transparency.Rekor;

/// <summary>A whole answer from a log: status, the bounded body, and the headers the clients use.</summary>
internal sealed record LogAnswer(HttpStatusCode Status, byte[] Body, Uri? Location, TimeSpan? RetryAfter)
{
    public bool IsSuccess => (int)Status is >= 200 and <= 299;
}

/// <summary>
/// The transport both Rekor clients share: each attempt sends and reads the whole body under
/// one timeout, so a log that stalls mid-body is caught like one that never answers. Transport
/// errors, timeouts, 5xx and 429 are retried a bounded number of times with jittered back-off
/// (Retry-After wins when the log sends one); any other status goes back to the caller.
/// What is still failing after the last attempt becomes <see cref="LogUnavailableException"/>.
/// </summary>
internal sealed partial class RekorHttp
{
    private readonly HttpClient _http;
    private readonly RekorClientOptions _options;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<LogAnswer> _pipeline;

    public RekorHttp(Uri baseUrl, HttpClient http, RekorClientOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1);

        // Relative paths resolve under the base, so a log served below a path prefix works too.
        BaseUrl = new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + "/");
        _http = http;
        _options = options;
        _logger = logger;
        var builder = new ResiliencePipelineBuilder<LogAnswer>();
        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions<LogAnswer>
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

    public Uri BaseUrl { get; }

    public int MaxResponseBytes => _options.MaxResponseBytes;

    public Uri Url(string relative) => new(BaseUrl, relative);

    public Task<LogAnswer> GetAsync(string relative, int maxBytes, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, relative, null, maxBytes, cancellationToken);

    public Task<LogAnswer> PostJsonAsync(string relative, byte[] json, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, relative, json, _options.MaxResponseBytes, cancellationToken);

    /// <summary>
    /// Sends with retries and returns the final answer when it is not a server error; a 5xx or
    /// 429 that outlasts the retries, and any transport failure, throw <see cref="LogUnavailableException"/>.
    /// </summary>
    public async Task<LogAnswer> SendAsync(HttpMethod method, string relative, byte[]? json, int maxBytes, CancellationToken cancellationToken)
    {
        var url = Url(relative);
        var what = $"{method} {url}";
        var context = ResilienceContextPool.Shared.Get(what, cancellationToken);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    try
                    {
                        return Outcome.FromResult(await state.Self.AttemptAsync(state.Method, state.Url, state.Json, state.MaxBytes, ctx.CancellationToken));
                    }
                    catch (Exception e)
                    {
                        return Outcome.FromException<LogAnswer>(e);
                    }
                },
                context,
                (Self: this, Method: method, Url: url, Json: json, MaxBytes: maxBytes));
            if (outcome.Exception is { } error)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw error switch
                {
                    LogUnavailableException unavailable => unavailable,
                    TimeoutRejectedException or TimeoutException => new LogUnavailableException($"log did not answer {what} within {_options.RequestTimeout.TotalSeconds:0.###} s", error),
                    HttpRequestException or IOException => new LogUnavailableException($"log unreachable at {what}: {error.Message}", error),
                    _ => error,
                };
            }

            var answer = outcome.Result!;
            if ((int)answer.Status >= 500 || answer.Status == HttpStatusCode.TooManyRequests)
            {
                throw new LogUnavailableException($"log answered {what} with {(int)answer.Status} {answer.Status}{Detail(answer)}");
            }

            return answer;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>A short, printable excerpt of an error body for messages.</summary>
    public static string Detail(LogAnswer answer)
    {
        if (answer.Body.Length == 0)
        {
            return "";
        }

        var text = System.Text.Encoding.UTF8.GetString(answer.Body, 0, Math.Min(answer.Body.Length, 300));
        var clean = new string([.. text.Select(c => char.IsControl(c) ? ' ' : c)]).Trim();
        return clean.Length == 0 ? "" : ": " + clean;
    }

    /// <summary>
    /// Transport failures, timeouts, 5xx and 429 are worth another try; a Retry-After longer than
    /// we are willing to wait is not (the final answer then reports the log as unavailable).
    /// </summary>
    private bool ShouldRetry(Outcome<LogAnswer> outcome) => outcome switch
    {
        { Exception: HttpRequestException or IOException or TimeoutRejectedException or TimeoutException } => true,
        { Exception: not null } => false,
        { Result: { } r } => ((int)r.Status >= 500 || r.Status == HttpStatusCode.TooManyRequests)
            && (r.RetryAfter is null || r.RetryAfter <= _options.MaxRetryAfter),
        _ => false,
    };

    private static string Describe(Outcome<LogAnswer> outcome) =>
        outcome.Exception is { } e ? e.GetType().Name + ": " + e.Message : ((int)outcome.Result!.Status).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date > now ? date - now : TimeSpan.Zero,
        _ => null,
    };

    private async Task<LogAnswer> AttemptAsync(HttpMethod method, Uri url, byte[]? json, int maxBytes, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Accept.ParseAdd("application/json");
        if (json is not null)
        {
            request.Content = new ByteArrayContent(json);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var body = await ReadBoundedAsync(response.Content, maxBytes, url, cancellationToken);
            return new LogAnswer(response.StatusCode, body, response.Headers.Location, RetryAfter(response.Headers.RetryAfter, DateTimeOffset.UtcNow));
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient's own Timeout, shorter than ours: the same failure as our timeout.
            throw new TimeoutException($"{url} timed out", e);
        }
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, int maxBytes, Uri url, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is { } declared && declared > maxBytes)
        {
            throw new LogUnavailableException($"log answer from {url} is {declared} bytes, more than the {maxBytes} allowed");
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new LogUnavailableException($"log answer from {url} exceeds the {maxBytes} bytes allowed");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "{Request}: attempt {Attempt} failed ({Reason}); retrying in {DelayMs:0} ms")]
        public static partial void Retrying(ILogger logger, string request, int attempt, string reason, double delayMs);
    }
}
