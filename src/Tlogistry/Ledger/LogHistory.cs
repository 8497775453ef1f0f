using Microsoft.Extensions.Logging;
using Tlogistry.Caching;
using Tlogistry.Store;
using Tlogistry.Telemetry;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Witness;

namespace Tlogistry.Ledger;

/// <summary>
/// Holds the log to what it has already shown: the store remembers the largest checkpoint
/// of the log that verified (size, root, signed note), keyed by the log's identity (its key,
/// never the origin it signs), and every checkpoint seen later (the log's current one at
/// start, and the one of every sighting the ledger takes from it: new, found by a search,
/// read from the store) must be consistent with it, proven by a consistency proof from the
/// log (the embedded log computes it from its own tiles), or the sighting is refused. A log that went back or forked stops the start until an operator
/// accepts it (<c>tlogistry index accept-log</c>): otherwise a deleted or restored log would
/// hand out its indexes again, and tags it had pinned could be pinned anew.
/// </summary>
internal sealed partial class LogHistory
{
    private readonly ISightingIndex _index;
    private readonly ICheckpointSource _source;
    private readonly TrustedLog _log;
    private readonly ILogger<LogHistory> _logger;

    // Older trees already proven to be prefixes of the remembered one, by size and root. The
    // remembered tree only grows, each step proven consistent, so a prefix of it stays a prefix
    // of every later one: a stored pin read again needs no second proof of its checkpoint.
    private readonly ByteBoundedCache<string, bool> _proven = new(ProvenCapacityBytes, static (key, _) => MemorySize.Of(key));

    /// <summary>The bytes the proven prefixes may hold (about 1,500 trees).</summary>
    public const long ProvenCapacityBytes = 256 * 1024;

    public LogHistory(ISightingIndex index, ICheckpointSource source, TrustedLog log, ILogger<LogHistory> logger)
    {
        _index = index;
        _source = source;
        _log = log;
        Key = LogIdentity.Of(log);
        _logger = logger;
    }

    public string Description => _source.Description;

    /// <summary>The log's identity as the store remembers it: <see cref="LogIdentity.Of"/> its key.</summary>
    public string Key { get; }

    /// <summary>The log's current checkpoint, verified with its key.</summary>
    /// <exception cref="LogUnavailableException">The log could not be read.</exception>
    public async Task<(Checkpoint Checkpoint, string Note)> CurrentAsync(CancellationToken cancellationToken)
    {
        var note = await _source.ReadCheckpointAsync(cancellationToken);
        return (Open(note), note);
    }

    public Task<RememberedCheckpoint?> RememberedAsync(CancellationToken cancellationToken) =>
        _index.RememberedCheckpointAsync(Key, cancellationToken);

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
        var remembered = await _index.RememberedCheckpointAsync(Key, cancellationToken);
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
                    $"it is now at size {current.Size}, root {Root(current.RootHash)}: {e.Message}. Restore the log from a backup, or accept it as it is and forget the sightings it no longer holds with: tlogistry index accept-log (see docs/OPERATIONS.md)",
                    e);
            }
        }

        await _index.RememberCheckpointAsync(RememberedCheckpoint.Of(Key, current, note), replace: false, cancellationToken);
    }

    /// <summary>
    /// A checkpoint a sighting was proven against: it must be signed by the log's key and
    /// consistent with the remembered one, and is remembered when larger. There is no
    /// "check later": a log that cannot give the proof now leaves the sighting unproven.
    /// </summary>
    /// <exception cref="LogConsistencyException">The log forked or went back (or signs another origin under this identity).</exception>
    /// <exception cref="LogVerificationException">The checkpoint is not signed by the log's key.</exception>
    /// <exception cref="LogUnavailableException">The log could not give the consistency proof.</exception>
    public async Task ObserveAsync(string note, CancellationToken cancellationToken)
    {
        Checkpoint seen;
        try
        {
            seen = Open(note);
        }
        catch (InvalidDataException e)
        {
            throw new LogVerificationException(e.Message, e);
        }

        var remembered = await _index.RememberedCheckpointAsync(Key, cancellationToken);
        if (remembered is null || remembered.Size <= seen.Size)
        {
            if (remembered is not null)
            {
                await RequireAsync(remembered.Checkpoint, seen, cancellationToken);
            }

            // The same tree again (the usual case) changes nothing: only a larger one is written.
            if (remembered is null || seen.Size > remembered.Size)
            {
                await _index.RememberCheckpointAsync(RememberedCheckpoint.Of(Key, seen, note), replace: false, cancellationToken);
            }
        }
        else
        {
            // An older tree (a bundle stored earlier, a log answering from a lagging replica): it must be a prefix.
            var tree = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{seen.Size}:{Root(seen.RootHash)}");
            if (!_proven.TryGet(tree, out _))
            {
                await RequireAsync(seen, remembered.Checkpoint, cancellationToken);
                _proven.Set(tree, true);
            }
        }
    }

    /// <summary>
    /// The size of the largest tree of this log the store remembers (0 when none): every entry
    /// the log appends after this is read has an index at least this large.
    /// </summary>
    public async Task<long> RememberedSizeAsync(CancellationToken cancellationToken) =>
        (await _index.RememberedCheckpointAsync(Key, cancellationToken))?.Size ?? 0;

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
        [LoggerMessage(EventId = EventIds.Ledger.HistoryNotChecked, Level = LogLevel.Warning, Message = "could not check {Log} against the remembered checkpoint now ({Reason}); it is checked at its next new sighting")]
        public static partial void NotChecked(ILogger logger, string log, string reason);
    }
}
