using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Transparency.Witness;

/// <summary>What a witness check saw: the log's current checkpoint and the one accepted before (null the first time).</summary>
internal sealed record WitnessedCheckpoint(Checkpoint Current, Checkpoint? Previous, string CachePath);

/// <summary>
/// A client's defence against a log that shows it a private history: every checkpoint it
/// accepts must extend the last one it accepted from that log, and every checkpoint a proof
/// was checked against must be part of the log's current tree. Consistency is proven by
/// proofs the client checks itself; the log's key and the cache are the only things trusted.
/// </summary>
internal sealed class LogWitness
{
    private readonly CheckpointCache _cache;

    public LogWitness(CheckpointCache cache)
    {
        _cache = cache;
    }

    /// <summary>
    /// Reads <paramref name="source"/>'s current checkpoint, requires it to be signed by
    /// <paramref name="log"/>'s key and to extend both <paramref name="seen"/> (e.g. the checkpoint
    /// an inclusion proof led to) and the checkpoint cached for the log, then caches it.
    /// </summary>
    /// <exception cref="LogVerificationException">A checkpoint is not signed by the log's key.</exception>
    /// <exception cref="LogConsistencyException">The log forked or went back.</exception>
    /// <exception cref="LogUnavailableException">The log could not be read.</exception>
    public async Task<WitnessedCheckpoint> CheckAsync(TrustedLog log, ICheckpointSource source, Checkpoint seen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(seen);
        var note = await source.ReadCheckpointAsync(cancellationToken);
        var current = Open(log, note, $"the current checkpoint of {source.Description}", null);
        if (current.Origin != seen.Origin)
        {
            throw new LogConsistencyException($"{source.Description} serves the log \"{current.Origin}\", not \"{seen.Origin}\" whose checkpoint the entry was proven against");
        }

        // Keyed by the log's identity, not the origin it signs: a log listed by a Rekor v1 ID
        // may sign any origin, and a second one must meet the first one's memory, not start its own.
        var key = LogIdentity.Of(log);
        var path = _cache.PathFor(key);
        var cached = _cache.Read(key);
        var previous = cached is null ? null : Open(log, cached, $"the checkpoint cached in {path}", " (remove the file to start over, if the log's key was changed on purpose)");
        // The last checkpoint accepted first: a fork is then reported against what this client saw.
        foreach (var older in previous is null ? [seen] : new[] { previous, seen })
        {
            var proof = Consistency.NeedsProof(older, current) ? await source.ConsistencyProofAsync(older.Size, current.Size, cancellationToken) : null;
            Consistency.Require(older, current, proof);
        }

        if (previous is null || current.Size > previous.Size)
        {
            _cache.Write(key, note);
        }

        return new WitnessedCheckpoint(current, previous, path);
    }

    private static Checkpoint Open(TrustedLog log, string note, string what, string? hint)
    {
        try
        {
            return CheckpointVerifier.Verify(log, note);
        }
        catch (NoteVerificationException e)
        {
            throw new LogVerificationException($"{what} is not signed by the log's key: {e.Message}{hint}", e);
        }
    }
}
