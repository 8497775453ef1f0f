using Microsoft.Extensions.Logging;
using Tlogistry.Oci;
using Tlogistry.Store;
using Tlogistry.Telemetry;

namespace Tlogistry.Moves;

/// <summary>
/// Keeps the durable record of a pull that found its tag moved (refused, or answered with the
/// pin): one store write, only on that path, so a pull of an unmoved tag costs nothing more.
/// The first replica to record a move counts it and tells every announcer. Recording never
/// changes the answer: a store that fails or is slow is logged and counted, and the pull is
/// answered as it would have been.
/// </summary>
internal sealed partial class MoveRecorder
{
    /// <summary>Longest a pull waits for the store before it is answered without the record.</summary>
    public static readonly TimeSpan StoreWait = TimeSpan.FromSeconds(5);

    private readonly ITagMoves _moves;
    private readonly IMoveAnnouncer[] _announcers;
    private readonly TlogistryMetrics? _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public MoveRecorder(ITagMoves moves, IEnumerable<IMoveAnnouncer> announcers, TimeProvider time, ILogger<MoveRecorder> logger, TlogistryMetrics? metrics = null)
    {
        _moves = moves;
        _announcers = [.. announcers];
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    /// <summary>Records one observation; never throws. Returns the observation, or null when the store did not take it.</summary>
    public async Task<MoveObservation?> RecordAsync(TagReference tag, Digest pinned, Digest upstream, long pinLogIndex, MoveAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(tag);
        var registry = tag.Name.Registry.Value;
        MoveObservation observation;
        // Not the request's token: a client that hangs up does not erase what its pull saw.
        using (var wait = new CancellationTokenSource(StoreWait, _time))
        {
            try
            {
                observation = await _moves.ObserveMoveAsync(tag, pinned, upstream, pinLogIndex, answer, _time.GetUtcNow(), wait.Token);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _metrics?.TagMoveObserved(registry, AnswerLabel(answer), recorded: false);
                Log.NotRecorded(_logger, tag.Canonical, upstream.ToString(), pinned.ToString(), e.Message);
                return null;
            }
        }

        _metrics?.TagMoveObserved(registry, AnswerLabel(answer), recorded: true);
        if (observation.FirstSeen)
        {
            _metrics?.TagMoveFirstSeen(registry);
            Log.FirstSeen(_logger, tag.Canonical, upstream.ToString(), pinned.ToString(), pinLogIndex);
            Announce(observation.Move);
        }

        return observation;
    }

    private void Announce(TagMove move)
    {
        foreach (var announcer in _announcers)
        {
            // One announcer's fault neither stops the others nor the answer.
            try
            {
                announcer.Announce(move);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.AnnouncerFailed(_logger, announcer.GetType().Name, move.Tag.Canonical, e.Message);
            }
        }
    }

    /// <summary>The metric label of an answer.</summary>
    public static string AnswerLabel(MoveAnswer answer) => answer == MoveAnswer.ServedPinned ? "served_pinned" : "refused";

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Registry.MoveFirstSeen, Level = LogLevel.Warning, Message = "tag {Reference} moved upstream to {Upstream} (pinned {Pinned} by log entry {LogIndex}); recorded in /tlog/moves")]
        public static partial void FirstSeen(ILogger logger, string reference, string upstream, string pinned, long logIndex);

        [LoggerMessage(EventId = EventIds.Registry.MoveNotRecorded, Level = LogLevel.Error, Message = "move of {Reference} to {Upstream} (pinned {Pinned}) not recorded; the pull is answered all the same: {Reason}")]
        public static partial void NotRecorded(ILogger logger, string reference, string upstream, string pinned, string reason);

        [LoggerMessage(EventId = EventIds.Registry.MoveAnnouncerFailed, Level = LogLevel.Error, Message = "announcer {Announcer} failed for the move of {Reference}: {Reason}")]
        public static partial void AnnouncerFailed(ILogger logger, string announcer, string reference, string reason);
    }
}
