using System.Threading.Channels;

namespace Tlogistry.Moves.Notify;

/// <summary>
/// The events waiting for one <c>--notify</c> URL, and the loop that sends them in order. Each
/// URL has its own, so a receiver that hangs or asks to be retried later delays only itself:
/// the others keep receiving, and only its own queue fills and drops.
/// </summary>
internal sealed class WebhookQueue
{
    private readonly Channel<MoveEvent> _events;

    public WebhookQueue(WebhookUrl url, int capacity)
    {
        Url = url;

        // Wait mode makes TryWrite answer false when full, so the caller sees (and counts) the drop.
        _events = Channel.CreateBounded<MoveEvent>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    public WebhookUrl Url { get; }

    /// <summary>Queues the event; false when this URL's queue is full or closed.</summary>
    public bool TryAdd(MoveEvent message) => _events.Writer.TryWrite(message);

    /// <summary>No more events: the loop ends once it has sent what is queued.</summary>
    public void Close() => _events.Writer.TryComplete();

    /// <summary>Sends every queued event in order through <paramref name="deliver"/>; on cancellation, returns how many were left unsent.</summary>
    public async Task<int> SendAllAsync(Func<WebhookUrl, MoveEvent, CancellationToken, Task> deliver, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in _events.Reader.ReadAllAsync(cancellationToken))
            {
                await deliver(Url, message, cancellationToken);
            }

            return 0;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var left = 0;
            while (_events.Reader.TryRead(out _))
            {
                left++;
            }

            return left;
        }
    }
}
