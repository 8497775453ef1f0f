using Microsoft.Extensions.Logging;
using Tlogistry.Store;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Witness;

namespace Tlogistry.Ledger;

/// <summary>
/// Holds the log to what it has already shown: the store remembers the largest checkpoint
/// of the log that verified (size, root, signed note), and every checkpoint seen later
/// (the log's current one at start, the one each new sighting is proven against) must be
/// consistent with it, proven by a consistency proof from the log (the embedded log computes
/// it from its own tiles). A log that went back or forked stops the start until an operator
/// accepts it (<c>tlogistry index accept-log</c>): otherwise a deleted or restored log would
/// hand out its indexes again, and tags it had pinned could be pinned anew.
/// </summary>
internal sealed partial class LogHistory
{
    private readonly ISightingIndex _index;
    private readonly ICheckpointSource _source;
    private readonly TrustedLog _log;
    private readonly ILogger<LogHistory> _logger;

    public LogHistory(ISightingIndex index, ICheckpointSource source, TrustedLog log, ILogger<LogHistory> logger)
    {
        _index = index;
        _source = source;
        _log = log;
        _logger = logger;
    }

    public string Description => _source.Description;

    /// <summary>The log's current checkpoint, verified with its key.</summary>
    /// <exception cref="LogUnavailableException">The log could not be read.</exception>
    public async Task<(Checkpoint Checkpoint, string Note)> CurrentAsync(CancellationToken cancellationToken)
    {
        var note = await _source.ReadCheckpointAsync(cancellationToken);
        return (Open(note), note);
    }

    public Task<RememberedCheckpoint?> RememberedAsync(string origin, CancellationToken cancellationToken) =>
        _index.RememberedCheckpointAsync(origin, cancellationToken);

    /// <summary>
    /// At start: the log's current checkpoint must extend the remembered one, then becomes it.
    /// A log that cannot be reached (Rekor down) is checked at its next new sighting instead.
    /// </summary>
    /// <exception cref="InvalidDataException">The log is smaller than, or inconsistent with, the remembered checkpoint.</exception>
    public async Task CheckAtStartAsync(CancellationToken cancellationToken)
    {
        string note;
        try
        {
            note = await _source.ReadCheckpointAsync(cancellationToken);
        }
        catch (Exception e) when (e is LogUnavailableException or HttpRequestException)
        {
            Log.NotChecked(_logger, _source.Description, e.Message);
            return;
        }

        var current = Open(note);
        var remembered = await _index.RememberedCheckpointAsync(current.Origin, cancellationToken);
        if (remembered is not null)
        {
            try
            {
                await RequireAsync(remembered.Checkpoint, current, cancellationToken);
            }
            catch (LogConsistencyException e)
            {
                throw new InvalidDataException(
                    $"{_source.Description} does not extend the checkpoint this store remembers (size {remembered.Size}, root {Root(remembered.RootHash)}); " +
                    $"it is now at size {current.Size}, root {Root(current.RootHash)}: {e.Message}. Restore the log from a backup, or accept it as it is and forget the sightings it no longer holds with: tlogistry index accept-log (see README, Operations)",
                    e);
            }
        }

        await _index.RememberCheckpointAsync(RememberedCheckpoint.Of(current, note), replace: false, cancellationToken);
    }

    /// <summary>
    /// A checkpoint a new sighting was proven against (already verified): it must be consistent
    /// with the remembered one, and is remembered when larger. A log that cannot give the
    /// proof now only costs the memory of this checkpoint.
    /// </summary>
    /// <exception cref="LogConsistencyException">The log forked or went back.</exception>
    public async Task ObserveAsync(string note, CancellationToken cancellationToken)
    {
        var seen = Open(note);
        var remembered = await _index.RememberedCheckpointAsync(seen.Origin, cancellationToken);
        try
        {
            if (remembered is null || remembered.Size <= seen.Size)
            {
                if (remembered is not null)
                {
                    await RequireAsync(remembered.Checkpoint, seen, cancellationToken);
                }

                await _index.RememberCheckpointAsync(RememberedCheckpoint.Of(seen, note), replace: false, cancellationToken);
            }
            else
            {
                // An older tree (a log answering from a replica that lags): it must be a prefix.
                await RequireAsync(seen, remembered.Checkpoint, cancellationToken);
            }
        }
        catch (LogUnavailableException e)
        {
            Log.NotChecked(_logger, _source.Description, e.Message);
        }
    }

    private async Task RequireAsync(Checkpoint older, Checkpoint newer, CancellationToken cancellationToken)
    {
        var proof = Consistency.NeedsProof(older, newer) ? await _source.ConsistencyProofAsync(older.Size, newer.Size, cancellationToken) : null;
        Consistency.Require(older, newer, proof);
    }

    private Checkpoint Open(string note)
    {
        try
        {
            return CheckpointVerifier.Verify(_log, note);
        }
        catch (NoteVerificationException e)
        {
            throw new InvalidDataException($"the checkpoint of {_source.Description} is not signed by the log's key: {e.Message}", e);
        }
    }

    private static string Root(byte[] hash) => Convert.ToBase64String(hash);

    private static partial class Log
    {
        [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "could not check {Log} against the remembered checkpoint now ({Reason}); it is checked at its next new sighting")]
        public static partial void NotChecked(ILogger logger, string log, string reason);
    }
}
