using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tlogistry.Store;
using Tlogistry.Telemetry;

namespace Tlogistry.Moves.Notify;

/// <summary>
/// Tells every <c>--notify</c> URL of each move. <see cref="Announce"/> only queues (the pull
/// that saw the move is waiting); one background loop takes events in order and sends each to
/// every URL at once. The queue is bounded: when it is full, a new event is dropped, logged and
/// counted rather than held or waited for. Stopping lets the loop drain for
/// <see cref="DeliverySettings.DrainTimeout"/>, then abandons what is left.
/// </summary>
internal sealed partial class WebhookAnnouncer : IMoveAnnouncer, IHostedService, IAsyncDisposable
{
    private readonly IReadOnlyList<WebhookUrl> _urls;
    private readonly string? _publicUrl;
    private readonly DeliverySettings _settings;
    private readonly TlogistryMetrics _metrics;
    private readonly ILogger _logger;
    private readonly WebhookSender _sender;
    private readonly Channel<TagMove> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    /// <param name="publicUrl">The proxy's <c>--public-url</c>, or null: the events' source and link base.</param>
    public WebhookAnnouncer(
        IReadOnlyList<WebhookUrl> urls,
        string? publicUrl,
        DeliverySettings settings,
        TlogistryMetrics metrics,
        TimeProvider time,
        ILogger<WebhookAnnouncer> logger)
    {
        ArgumentNullException.ThrowIfNull(urls);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfZero(urls.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.QueueCapacity, 1);
        _urls = urls;
        _publicUrl = publicUrl;
        _settings = settings;
        _metrics = metrics;
        _logger = logger;
        _sender = new WebhookSender(settings, metrics, time, logger);

        // Wait mode makes TryWrite answer false when full, so the caller sees (and counts) the drop.
        _queue = Channel.CreateBounded<TagMove>(new BoundedChannelOptions(settings.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    /// <summary>Queues the move and returns at once; never throws for a full queue or a stopped service.</summary>
    public void Announce(TagMove move)
    {
        ArgumentNullException.ThrowIfNull(move);
        if (!_queue.Writer.TryWrite(move))
        {
            _metrics.NotifyDelivery("dropped");
            Log.Dropped(_logger, move.Tag.Canonical, move.Upstream.ToString(), _settings.QueueCapacity);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Log.Sending(_logger, string.Join(", ", _urls.Select(u => u.Display)));
        _loop ??= Task.Run(() => SendLoopAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Closes the queue, waits up to the drain time (or the host's own deadline), then cancels what is still sending.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_loop is null)
        {
            return;
        }

        try
        {
            await _loop.WaitAsync(_settings.DrainTimeout, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            await _stopping.CancelAsync();
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var move in _queue.Reader.ReadAllAsync(cancellationToken))
            {
                var message = MoveEvent.Create(move, _publicUrl);
                await Task.WhenAll(_urls.Select(url => DeliverAsync(url, message, cancellationToken)));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var left = 0;
            while (_queue.Reader.TryRead(out _))
            {
                left++;
                _metrics.NotifyDelivery("dropped");
            }

            Log.Abandoned(_logger, left);
        }
    }

    /// <summary>One event to one URL; a fault of the sender itself fails that delivery, never the loop.</summary>
    private async Task DeliverAsync(WebhookUrl url, MoveEvent message, CancellationToken cancellationToken)
    {
        try
        {
            await _sender.DeliverAsync(url, message, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _metrics.NotifyDelivery("failed");
            Log.Faulted(_logger, message.Id, url.Display, e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _sender.Dispose();
        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Notify.Sending, Level = LogLevel.Information, Message = "tag moves are announced to {Urls}")]
        public static partial void Sending(ILogger logger, string urls);

        [LoggerMessage(EventId = EventIds.Notify.Dropped, Level = LogLevel.Error, Message = "move of {Reference} to {Upstream} not announced: {Capacity} events are already waiting to be sent")]
        public static partial void Dropped(ILogger logger, string reference, string upstream, int capacity);

        [LoggerMessage(EventId = EventIds.Notify.Abandoned, Level = LogLevel.Warning, Message = "stopped before move events were sent: the one in flight and {Left} queued were not delivered")]
        public static partial void Abandoned(ILogger logger, int left);

        [LoggerMessage(EventId = EventIds.Notify.Faulted, Level = LogLevel.Error, Message = "move event {Id} not delivered to {Url}: the sender failed")]
        public static partial void Faulted(ILogger logger, string id, string url, Exception exception);
    }
}
