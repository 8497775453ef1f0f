using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Tlogistry.Oci;
using Tlogistry.Store;
using Tlogistry.Telemetry;

namespace Tlogistry.Ledger;

/// <summary>
/// Writes the stamps of rows verified on a read, in the background and in batches, so a pull
/// never waits for a write it does not need. Bounded: when the queue is full a stamp is
/// dropped, and its row is verified in full again by a later process (nothing is lost but time).
/// </summary>
internal sealed partial class StampWriter
{
    public const int QueueBound = 4096;
    private const int BatchSize = 256;

    private readonly ISightingIndex _store;
    private readonly ILogger _logger;
    private readonly Channel<(TagReference Reference, byte[] Stamp)> _queue =
        Channel.CreateBounded<(TagReference, byte[])>(new BoundedChannelOptions(QueueBound) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private int _started;

    public StampWriter(ISightingIndex store, ILogger logger)
    {
        _store = store;
        _logger = logger;
    }

    public void Enqueue(TagReference reference, byte[] stamp)
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _ = Task.Run(WriteAsync);
        }

        _queue.Writer.TryWrite((reference, stamp));
    }

    private async Task WriteAsync()
    {
        var batch = new List<(TagReference, byte[])>(BatchSize);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < BatchSize && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            try
            {
                await _store.StampAsync(batch, CancellationToken.None);
            }
            catch (Exception e)
            {
                // Whatever went wrong, the loop goes on: a stamp only ever saves time.
                Log.StampsNotWritten(_logger, batch.Count, e.Message);
            }

            batch.Clear();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Ledger.StampsNotWritten, Level = LogLevel.Warning, Message = "{Count} verification stamps were not written ({Reason}); those rows are verified in full when next read")]
        public static partial void StampsNotWritten(ILogger logger, int count, string reason);
    }
}
