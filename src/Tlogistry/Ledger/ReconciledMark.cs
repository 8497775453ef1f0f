using Microsoft.Extensions.Logging;
using Tlogistry.Store;
using Tlogistry.Telemetry;

namespace Tlogistry.Ledger;

/// <summary>
/// The store's reconciled mark of this process's log: the index below which every entry is
/// held by the store. A start reconciles from it, so it reads the entries appended since and
/// not every row. While serving, each entry saved moves it on as far as the saved entries
/// run without a gap, and it is written every <see cref="Step"/> entries, so a start reads at
/// most that many again. An entry that is appended but not saved (a store that failed, a crash)
/// holds it there: the next start reads the log from that entry, as it always did.
/// </summary>
/// <remarks>
/// The mark only spares reading: an edited store that raises it can hide rows from the
/// store's listings, no more than deleting them could, and a first sighting still searches the
/// log for its tag before anything is appended.
/// </remarks>
internal sealed partial class ReconciledMark
{
    /// <summary>How many entries the mark moves between writes.</summary>
    public const int Step = 1024;

    /// <summary>Saved entries waiting above a gap before the mark stops following them (until the next start).</summary>
    public const int MaxWaiting = 16_384;

    private readonly ISightingIndex _store;
    private readonly string _logId;
    private readonly ILogger _logger;
    private readonly int _step;
    private readonly int _maxWaiting;
    private readonly Lock _gate = new();
    private readonly HashSet<long> _waiting = [];
    private long _through = -1;
    private long _written;

    public ReconciledMark(ISightingIndex store, string logId, ILogger logger, int step = Step, int maxWaiting = MaxWaiting)
    {
        _step = step;
        _maxWaiting = maxWaiting;
        _store = store;
        _logId = logId;
        _logger = logger;
    }

    /// <summary>The log this mark is of, as the store's rows name it.</summary>
    public string LogId => _logId;

    /// <summary>
    /// The first entry a start reads: the first the store lacks from the stored mark on. A mark
    /// beyond the log's <paramref name="logSize"/>, or one whose entry just below is missing
    /// (a store emptied or cut short beside its mark), is not believed: then every row is
    /// counted, as before there was a mark.
    /// </summary>
    public async Task<long> FirstUnreadAsync(long logSize, CancellationToken cancellationToken)
    {
        var mark = await _store.ReconciledThroughAsync(_logId, cancellationToken);
        if (mark == 0)
        {
            return await _store.FirstUnindexedAsync(_logId, 0, cancellationToken);
        }

        if (mark <= logSize)
        {
            var from = await _store.FirstUnindexedAsync(_logId, mark - 1, cancellationToken);
            if (from != mark - 1)
            {
                return from;
            }
        }

        Log.NotBelieved(_logger, mark, logSize);
        return await _store.FirstUnindexedAsync(_logId, 0, cancellationToken);
    }

    /// <summary>
    /// After a start's reconciliation: every entry below <paramref name="through"/> is held, so
    /// it is written (replacing a mark not believed), and when <paramref name="following"/> the
    /// entries saved from now on move it on.
    /// </summary>
    public async Task StartAsync(long through, bool following, CancellationToken cancellationToken)
    {
        await _store.MarkReconciledAsync(_logId, through, replace: true, cancellationToken);
        lock (_gate)
        {
            _written = through;
            _through = following ? through : -1;
            _waiting.Clear();
        }
    }

    /// <summary>Entry <paramref name="index"/> of this log is held by the store now.</summary>
    public Task HeldAsync(long index)
    {
        long write;
        lock (_gate)
        {
            if (_through < 0 || index < _through)
            {
                return Task.CompletedTask;
            }

            if (index > _through)
            {
                // Above a gap: kept until the gap is saved, within a bound (a gap that is never
                // saved would otherwise grow this without end); past it the next start reads from the gap.
                if (_waiting.Count < _maxWaiting)
                {
                    _waiting.Add(index);
                }
                else
                {
                    _through = -1;
                    _waiting.Clear();
                }

                return Task.CompletedTask;
            }

            do
            {
                _through++;
            }
            while (_waiting.Remove(_through));

            if (_through - _written < _step)
            {
                return Task.CompletedTask;
            }

            write = _written = _through;
        }

        return WriteAsync(write);
    }

    private async Task WriteAsync(long through)
    {
        try
        {
            await _store.MarkReconciledAsync(_logId, through, replace: false, CancellationToken.None);
        }
        catch (Exception e)
        {
            // Only reading is spared by the mark, and the pin that moved it is saved: nothing
            // here fails the request. The next start reads from the last mark written.
            Log.NotWritten(_logger, through, e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Ledger.MarkNotWritten, Level = LogLevel.Warning, Message = "the store's reconciled mark could not be moved to log index {Through} ({Reason}); the next start reads the log from the last one written")]
        public static partial void NotWritten(ILogger logger, long through, string reason);

        [LoggerMessage(EventId = EventIds.Ledger.MarkNotBelieved, Level = LogLevel.Warning, Message = "the store's reconciled mark ({Mark}) lies beyond the log's size ({Size}) or the store lacks the entry just below it; every row is counted to find the entries the store lacks")]
        public static partial void NotBelieved(ILogger logger, long mark, long size);
    }
}
