using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Tlogistry.Telemetry;

namespace Tlogistry.Moves.Notify;

/// <summary>
/// POSTs one event to one URL until it is delivered, refused for good, or the bounds of
/// <see cref="DeliverySettings"/> run out. Redirects are not followed and response bodies
/// are not read: a receiver answers with its status alone.
/// </summary>
internal sealed partial class WebhookSender : IDisposable
{
    private readonly HttpClient _http;
    private readonly DeliverySettings _settings;
    private readonly TlogistryMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public WebhookSender(DeliverySettings settings, TlogistryMetrics metrics, TimeProvider time, ILogger logger)
    {
        _settings = settings;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _http = new HttpClient(
            new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                ConnectTimeout = settings.AttemptTimeout,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                MaxResponseDrainSize = settings.MaxResponseDrainBytes,
                ResponseDrainTimeout = TimeSpan.FromSeconds(1),
                MaxResponseHeadersLength = 16,
            },
            disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("tlogistry");
    }

    /// <summary>
    /// Delivers <paramref name="move"/> to <paramref name="url"/>; true when a 2xx came back.
    /// Counts <c>retried</c> per retry and <c>delivered</c> or <c>failed</c> once.
    /// Cancellation (the service stopping past its drain time) ends it uncounted.
    /// </summary>
    public async Task<bool> DeliverAsync(WebhookUrl url, MoveEvent move, CancellationToken cancellationToken)
    {
        var start = _time.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            var remaining = _settings.MaxTotal - _time.GetElapsedTime(start);
            var (status, retryAfter, reason) = await PostAsync(url, move, remaining < _settings.AttemptTimeout ? remaining : _settings.AttemptTimeout, cancellationToken);
            switch (RetryPolicy.Classify(status))
            {
                case AttemptVerdict.Delivered:
                    _metrics.NotifyDelivery("delivered");
                    Log.Delivered(_logger, move.Id, url.Display, attempt);
                    return true;
                case AttemptVerdict.Permanent:
                    _metrics.NotifyDelivery("failed");
                    Log.Failed(_logger, move.Id, url.Display, attempt, reason);
                    return false;
            }

            if (RetryPolicy.NextWait(attempt, retryAfter, _time.GetElapsedTime(start), _settings, Random.Shared.NextDouble()) is not { } wait)
            {
                _metrics.NotifyDelivery("failed");
                Log.Failed(_logger, move.Id, url.Display, attempt, reason + "; no more retries");
                return false;
            }

            _metrics.NotifyDelivery("retried");
            Log.Retrying(_logger, move.Id, url.Display, attempt, reason, wait.TotalSeconds);
            await Task.Delay(wait, _time, cancellationToken);
        }
    }

    /// <summary>One POST: its status (null: none came), the receiver's Retry-After, and a reason for the log.</summary>
    private async Task<(int? Status, TimeSpan? RetryAfter, string Reason)> PostAsync(WebhookUrl url, MoveEvent move, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(timeout > TimeSpan.Zero ? timeout : TimeSpan.FromMilliseconds(1));
        using var request = new HttpRequestMessage(HttpMethod.Post, url.Url) { Content = new ByteArrayContent(move.Body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(MoveEvent.ContentType);
        try
        {
            // Headers only: the body is left unread, and disposing drains at most MaxResponseDrainBytes.
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token);
            var status = (int)response.StatusCode;
            return (status, RetryAfterOf(response.Headers.RetryAfter), $"HTTP {status}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, null, $"no answer within {timeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException e)
        {
            return (null, null, e.HttpRequestError == HttpRequestError.Unknown ? e.Message : e.HttpRequestError.ToString());
        }
    }

    /// <summary>A delay, or a date turned into the time until it; a date already past is no wait.</summary>
    private TimeSpan? RetryAfterOf(RetryConditionHeaderValue? header) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - _time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    public void Dispose() => _http.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Notify.Delivered, Level = LogLevel.Information, Message = "move event {Id} delivered to {Url} (attempt {Attempt})")]
        public static partial void Delivered(ILogger logger, string id, string url, int attempt);

        [LoggerMessage(EventId = EventIds.Notify.Retrying, Level = LogLevel.Warning, Message = "move event {Id} to {Url}: attempt {Attempt} failed ({Reason}); retrying in {Seconds:0.###} s")]
        public static partial void Retrying(ILogger logger, string id, string url, int attempt, string reason, double seconds);

        [LoggerMessage(EventId = EventIds.Notify.Failed, Level = LogLevel.Error, Message = "move event {Id} not delivered to {Url} after {Attempts} attempts: {Reason}")]
        public static partial void Failed(ILogger logger, string id, string url, int attempts, string reason);
    }
}
