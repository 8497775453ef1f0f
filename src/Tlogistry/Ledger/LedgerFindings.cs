using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Tlogistry.Caching;
using Tlogistry.Store;
using Tlogistry.Telemetry;

namespace Tlogistry.Ledger;

/// <summary>
/// What the ledger met in the log that the operator must hear of: two valid sightings of ours
/// that disagree on a tag (the first stays the pin), and entries that could not be verified
/// as sightings of a signer that counts.
/// </summary>
internal sealed partial class LedgerFindings
{
    /// <summary>
    /// How many of each kind are kept to report: all are logged and counted, but a log full of
    /// conflicts or unverifiable entries must not grow the process without end.
    /// </summary>
    public const int Kept = 1000;

    private readonly ILogger _logger;
    private readonly ConcurrentQueue<string> _conflicts = new();
    private long _conflictCount;
    private long _unverifiableCount;
    // The conflicts logged already, so a pair met from both sides is told once; bounded by bytes
    // (a log full of conflicts could otherwise grow it without end), past which one may be told twice.
    private readonly ByteBoundedCache<string, bool> _conflictsSeen = new(1024 * 1024, static (conflict, _) => MemorySize.Of(conflict), StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _unverifiable = new();

    public LedgerFindings(ILogger logger) => _logger = logger;

    /// <summary>The first <see cref="Kept"/> conflicts met.</summary>
    public IReadOnlyCollection<string> Conflicts => _conflicts;

    /// <summary>Every conflict met, kept or not.</summary>
    public long ConflictCount => Interlocked.Read(ref _conflictCount);

    /// <summary>The first <see cref="Kept"/> unverifiable entries met.</summary>
    public IReadOnlyCollection<string> Unverifiable => _unverifiable;

    /// <summary>Every unverifiable entry met, kept or not.</summary>
    public long UnverifiableCount => Interlocked.Read(ref _unverifiableCount);

    /// <summary>Two valid sightings of ours disagree: the first stays the pin, and the operator must hear of it.</summary>
    public void Conflict(Sighting first, Sighting later)
    {
        // Once each: a scan meets the pair from both sides.
        var conflict = $"{first.Reference}: log index {first.LogIndex} says {first.Digest}, log index {later.LogIndex} says {later.Digest}; the first (log index {first.LogIndex}) is the pin";
        bool untold;
        lock (_conflictsSeen)
        {
            untold = !_conflictsSeen.TryGet(conflict, out _);
            _conflictsSeen.Set(conflict, true);
        }

        if (untold)
        {
            if (Interlocked.Increment(ref _conflictCount) <= Kept)
            {
                _conflicts.Enqueue(conflict);
            }

            Log.Conflict(_logger, conflict);
        }
    }

    /// <summary>An entry rebuild or import read but could not verify: a sighting the store may now lack.</summary>
    public void Unverified(long logIndex, string reason)
    {
        if (Interlocked.Increment(ref _unverifiableCount) <= Kept)
        {
            _unverifiable.Enqueue($"log entry {logIndex}: {reason}");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Ledger.Conflict, Level = LogLevel.Error, Message = "two valid sightings of one tag disagree: {Conflict}")]
        public static partial void Conflict(ILogger logger, string conflict);
    }
}
