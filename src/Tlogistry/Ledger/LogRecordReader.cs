using Microsoft.Extensions.Logging;
using Tlogistry.Store;
using Tlogistry.Telemetry;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Ledger;

/// <summary>
/// Reads what a log lists or finds (a search, a scan) as verified sightings of ours; anything
/// else is logged with its reason and skipped, never taken.
/// </summary>
internal sealed partial class LogRecordReader
{
    private readonly SightingReader _reader;
    private readonly ILogger _logger;

    public LogRecordReader(SightingReader reader, ILogger logger)
    {
        _reader = reader;
        _logger = logger;
    }

    /// <summary>The record as a verified sighting of ours; false (the reason logged and returned) otherwise.</summary>
    public bool TryRead(LogRecord record, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Sighting? sighting, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? reason)
    {
        sighting = null;
        if (record.Envelope is null)
        {
            reason = "the log returned no envelope for this entry";
        }
        else
        {
            try
            {
                sighting = _reader.Read(_reader.Bundle(record.Entry, record.Envelope));
                reason = null;
                return true;
            }
            catch (Exception e) when (e is FormatException or LogVerificationException)
            {
                reason = e.Message;
            }
        }

        Skipped(record.Entry.LogIndex, reason);
        return false;
    }

    /// <summary>Logs an entry that is not taken, and why.</summary>
    public void Skipped(long logIndex, string reason) => Log.SkippedEntry(_logger, logIndex, reason);

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Ledger.SkippedEntry, Level = LogLevel.Warning, Message = "log entry {Index} ignored while reconciling: {Reason}")]
        public static partial void SkippedEntry(ILogger logger, long index, string reason);
    }
}
