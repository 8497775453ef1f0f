using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tlogistry.Store;
using Tlogistry.Telemetry;

namespace Tlogistry.Moves.Notify;

/// <summary>
/// Tells every <c>--notify</c> URL of each move. <see cref="Announce"/> only queues (the pull
/// that saw the move is waiting); each URL has its own bounded queue and loop
/// (<see cref="WebhookQueue"/>), so one slow or failing receiver never holds up the others.
/// When a URL's queue is full, a new event for it is dropped, logged and counted rather than
/// held or waited for. Stopping lets the loops drain for
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
    private readonly IReadOnlyList<WebhookQueue> _queues;
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
        _queues = [.. urls.Select(url => new WebhookQueue(url, settings.QueueCapacity))];
    }

    /// <summary>Queues the move and returns at once; never throws for a full queue or a stopped service.</summary>
    public void Announce(TagMove move)
    {
        ArgumentNullException.ThrowIfNull(move);
        var message = MoveEvent.Create(move, _publicUrl);
        foreach (var queue in _queues)
        {
            if (!queue.TryAdd(message))
            {
                _metrics.NotifyDelivery("dropped");
                Log.Dropped(_logger, move.Tag.Canonical, move.Upstream.ToString(), queue.Url.Display, _settings.QueueCapacity);
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Log.Sending(_logger, string.Join(", ", _urls.Select(u => u.Display)));
        _loop ??= Task.WhenAll(_queues.Select(queue => Task.Run(() => SendLoopAsync(queue, _stopping.Token), CancellationToken.None)));
        return Task.CompletedTask;
    }

    /// <summary>Closes the queues, waits up to the drain time (or the host's own deadline), then cancels what is still sending.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        CloseQueues();
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

    private async Task SendLoopAsync(WebhookQueue queue, CancellationToken cancellationToken)
    {
        var left = await queue.SendAllAsync(DeliverAsync, cancellationToken);
        if (cancellationToken.IsCancellationRequested)
        {
            for (var i = 0; i < left; i++)
            {
                _metrics.NotifyDelivery("dropped");
            }

            Log.Abandoned(_logger, queue.Url.Display, left);
        }
    }

    private void CloseQueues()
    {
        foreach (var queue in _queues)
        {
            queue.Close();
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
        CloseQueues();
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

        [LoggerMessage(EventId = EventIds.Notify.Dropped, Level = LogLevel.Error, Message = "move of {Reference} to {Upstream} not announced to {Url}: {Capacity} events are already waiting to be sent there")]
        public static partial void Dropped(ILogger logger, string reference, string upstream, string url, int capacity);

        [LoggerMessage(EventId = EventIds.Notify.Abandoned, Level = LogLevel.Warning, Message = "stopped before move events were sent to {Url}: the one in flight and {Left} queued were not delivered")]
        public static partial void Abandoned(ILogger logger, string url, int left);

        [LoggerMessage(EventId = EventIds.Notify.Faulted, Level = LogLevel.Error, Message = "move event {Id} not delivered to {Url}: the sender failed")]
        public static partial void Faulted(ILogger logger, string id, string url, Exception exception);
    }
}
