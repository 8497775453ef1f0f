using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Tlogistry.Caching;
using Tlogistry.Telemetry;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Tiles;

namespace Tlogistry.Transparency.Embedded;

/// <summary>
/// A file-backed RFC 6962 log in the data directory: entries and hashes on disk as C2SP
/// tiles, and a signed C2SP checkpoint, the commit point of every append. Appends are group
/// committed: those that arrive while a batch is being written wait and go together in the
/// next one, with one write of the tiles they share, one signed checkpoint and one fsync wave;
/// each caller is answered once that checkpoint is durable, and a batch that fails fails all of
/// its callers and closes the log to appends until a restart. In memory the log keeps only the
/// tree's right edge (<see cref="TileEdge"/>), the leaves of the trailing partial entry bundle,
/// and a cache of verified tiles bounded in bytes: nothing grows with the log. At start the
/// checkpoint's signature is checked and its root recomputed from the right-edge tiles; every
/// other tile is checked when it is read, against the checked tile above it (see <see cref="VerifyAll"/>
/// for a whole-log check).
/// </summary>
internal sealed partial class EmbeddedLog : IDisposable
{
    /// <summary>The default bound, in bytes, of the cache of verified hash tiles (8 KiB each).</summary>
    public const long DefaultHashCacheBytes = 4L << 20;

    /// <summary>The default bound, in bytes, of the cache of verified entry bundles.</summary>
    public const long DefaultEntryCacheBytes = 8L << 20;

    /// <summary>The most leaves one batch commits.</summary>
    public const int MaxBatch = 1024;

    private readonly TileStore _store;
    private readonly INoteSigner _signer;
    private readonly INoteVerifier _verifier;
    private readonly ILogger _logger;
    // Tiles already checked against the checkpoint, bounded by the bytes they hold: an entry
    // bundle can be far larger than a hash tile. Full tiles never change, so none goes stale.
    private readonly ByteBoundedCache<(int Level, long Index), byte[]> _hashTiles = new(DefaultHashCacheBytes, static (_, tile) => tile.Length);
    private readonly ByteBoundedCache<long, IReadOnlyList<byte[]>> _entryTiles = new(DefaultEntryCacheBytes, static (_, entries) => entries.Sum(e => (long)e.Length));

    // What readers see: replaced whole once a batch is durable, never changed in place.
    private volatile LogState _state;

    // Appends waiting for the next batch, and whether a batch is being committed.
    private readonly Lock _queueLock = new();
    private readonly List<PendingAppend> _queue = [];
    private Task _committer = Task.CompletedTask;
    private bool _committing;

    private volatile string? _broken;
    private bool _readOnly;

    // Set when the owner searches the log by subject: fed every leaf, in order, on append.
    private Func<byte[], EnvelopeRecords, byte[]?>? _subjectOf;

    // Deletions of superseded partial tiles, one after another, off the append's path.
    private Task _cleanup = Task.CompletedTask;

    private EmbeddedLog(TileStore store, INoteSigner signer, INoteVerifier verifier, string origin, ILogger logger)
    {
        _store = store;
        _signer = signer;
        _verifier = verifier;
        _logger = logger;
        Origin = origin;
        _state = new LogState(new SignedCheckpoint(new Checkpoint(origin, 0, Rfc6962.EmptyRoot(), []), ""), TileEdge.Empty(), []);
    }

    public string Origin { get; }

    /// <summary>The verifier key of the log, in signed-note vkey form, for anyone checking checkpoints.</summary>
    public string VerifierKey { get; private set; } = "";

    /// <summary>The log as a verifier trusts it: its Ed25519 key, and its signed-note key hash as log ID.</summary>
    public TrustedLog Trusted { get; private set; } = null!;

    public long Size => _state.Checkpoint.Checkpoint.Size;

    public SignedCheckpoint LatestCheckpoint => _state.Checkpoint;

    /// <summary>What the log's dsse leaves only hash: their envelopes and integrated times.</summary>
    public EnvelopeRecords Envelopes { get; private init; } = null!;

    /// <summary>The entries by subject, when the log was opened with a way to read a leaf's subject; else null.</summary>
    public SubjectIndex? Subjects { get; private set; }

    /// <summary>Bytes held by the caches of verified tiles (hash tiles and entry bundles), each bounded.</summary>
    public long CachedBytes => _hashTiles.HeldBytes + _entryTiles.HeldBytes;

    /// <summary>
    /// Opens (or creates) the log in <paramref name="directory"/>, checking the checkpoint
    /// against its right-edge tiles. With <paramref name="subjectOf"/> (a leaf's subject hash,
    /// or null) the log keeps <see cref="Subjects"/> on disk beside its tiles.
    /// </summary>
    public static EmbeddedLog Open(string directory, ILogger logger, Func<byte[], EnvelopeRecords, byte[]?>? subjectOf = null)
    {
        Directory.CreateDirectory(directory);
        var key = LogKey.LoadOrCreate(Path.Combine(directory, "log-key"));
        var log = new EmbeddedLog(new TileStore(directory), key, key.Verifier, key.Name, logger)
        {
            VerifierKey = key.Vkey,
            Trusted = LogKey.Describe(key, "file://" + Path.GetFullPath(directory)),
            Envelopes = new EnvelopeRecords(directory),
            _subjectOf = subjectOf,
            Subjects = subjectOf is null ? null : new SubjectIndex(directory),
        };
        log.Load();
        return log;
    }

    /// <summary>
    /// Opens an existing log to read it, writing nothing: no key or checkpoint is created and no
    /// stray tile is removed, so a running service's log can be read beside it (its appends only
    /// add files). Appends are refused. With <paramref name="verifyAll"/> every tile and record is
    /// checked first (<see cref="VerifyAll"/>), as an offline audit wants.
    /// </summary>
    public static EmbeddedLog OpenReadOnly(string directory, ILogger logger, bool verifyAll = true)
    {
        var keyPath = Path.Combine(directory, "log-key");
        if (!File.Exists(keyPath))
        {
            throw new InvalidDataException($"there is no embedded log in {directory} (no log-key)");
        }

        var key = LogKey.LoadOrCreate(keyPath);
        var log = new EmbeddedLog(new TileStore(directory), key, key.Verifier, key.Name, logger)
        {
            VerifierKey = key.Vkey,
            Trusted = LogKey.Describe(key, "file://" + Path.GetFullPath(directory)),
            Envelopes = new EnvelopeRecords(directory),
            _readOnly = true,
        };
        log.Load();
        if (verifyAll)
        {
            log.VerifyAll();
        }

        return log;
    }

    /// <summary>
    /// Appends one leaf and returns once its tiles and a checkpoint including it are durable,
    /// with the leaf's inclusion proof against that checkpoint. <paramref name="prepare"/>, given
    /// the index the leaf will have, runs first, one append at a time: what must be durable before
    /// the leaf (its envelope record) is staged in the <see cref="DeferredSync"/> and made durable
    /// with the batch, before its checkpoint. If prepare throws, this leaf is not appended (the
    /// rest of the batch is). A caller cancelled before its batch starts appends nothing and gets an
    /// <see cref="OperationCanceledException"/>; once its batch has taken the leaf, cancelling is
    /// ignored and the call returns the leaf's index (or the batch's failure).
    /// </summary>
    public async Task<AppendedLeaf> AppendLeafAsync(byte[] leaf, CancellationToken cancellationToken, Action<long, DeferredSync>? prepare = null)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        if (leaf.Length > EntryBundle.MaxEntrySize)
        {
            throw new InvalidOperationException($"log entry of {leaf.Length} bytes exceeds the {EntryBundle.MaxEntrySize}-byte tile entry limit");
        }

        if (_readOnly)
        {
            throw new InvalidOperationException("the embedded log was opened read-only");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var pending = new PendingAppend(leaf, prepare);
        lock (_queueLock)
        {
            ThrowIfBroken();
            _queue.Add(pending);
            if (!_committing)
            {
                _committing = true;
                _committer = Task.Run(CommitLoopAsync, CancellationToken.None);
            }
        }

        // A caller whose batch has not started is withdrawn and appends nothing. Once its batch
        // has taken the leaf, cancelling changes nothing: the caller waits for the batch's
        // outcome, so a cancelled call always means "not appended" and a caller that dedupes
        // (the log server) never takes a leaf in flight for one that was never sent.
        using (cancellationToken.Register(() => Withdraw(pending, cancellationToken)))
        {
            await ((Task)pending.Done.Task).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        var done = await pending.Done.Task;

        var size = done.State.Checkpoint.Checkpoint.Size;
        return new AppendedLeaf(done.Index, done.State.Checkpoint, Proofs(done.State).InclusionProofAsync(done.Index, size, CancellationToken.None).GetAwaiter().GetResult());
    }

    /// <summary>
    /// Throws unless the log takes appends (none failed since the start) and its checkpoint
    /// file can still be read: the files, not the memory, are what must survive.
    /// </summary>
    public void CheckReadable()
    {
        ThrowIfBroken();
        if (Size > 0 && _store.ReadCheckpoint() is null)
        {
            throw new IOException($"the checkpoint {_store.CheckpointPath} is missing");
        }
    }

    /// <summary>An inclusion proof for <paramref name="index"/> against the tree of <paramref name="size"/> leaves, read from verified tiles.</summary>
    public IReadOnlyList<byte[]> InclusionProof(long index, long size)
    {
        var state = _state;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, state.Edge.Size);
        return Proofs(state).InclusionProofAsync(index, size, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>
    /// Inclusion proofs against the tree of <paramref name="size"/> leaves for a scan in index
    /// order: the nodes hashed for one leaf's proof serve its neighbours' too, one tile of leaves
    /// at a time (so what is kept stays bounded), instead of being hashed again for every leaf.
    /// </summary>
    public Func<long, IReadOnlyList<byte[]>> InclusionProofsInOrder(long size)
    {
        var state = _state;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, state.Edge.Size);
        TileProofs? proofs = null;
        var tile = -1L;
        return index =>
        {
            if (index / TileMath.TileWidth != tile)
            {
                tile = index / TileMath.TileWidth;
                proofs = Proofs(state);
            }

            return proofs!.InclusionProofAsync(index, size, CancellationToken.None).GetAwaiter().GetResult();
        };
    }

    public IReadOnlyList<byte[]> ConsistencyProof(long size1, long size2)
    {
        var state = _state;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size2, state.Edge.Size);
        return Proofs(state).ConsistencyProofAsync(size1, size2, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>Leaves from <paramref name="startIndex"/> up to the size of <paramref name="checkpoint"/>.</summary>
    public async IAsyncEnumerable<(long Index, byte[] Leaf)> ReadLeavesAsync(long startIndex, SignedCheckpoint checkpoint, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var size = checkpoint.Checkpoint.Size;
        var state = _state;
        for (var tile = startIndex / TileMath.TileWidth; tile * TileMath.TileWidth < size; tile++)
        {
            var entries = EntryTile(state, tile);
            var width = Width(size, tile);
            for (var i = 0; i < width; i++)
            {
                var index = (tile * TileMath.TileWidth) + i;
                if (index >= startIndex)
                {
                    yield return (index, entries[i]);
                }
            }

            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// Checks the whole log: every hash tile against the one above it, every entry bundle against
    /// its hash tile, every dsse leaf's envelope record. It reads every file once, so it is the
    /// explicit full check (an offline audit opens the log with it), never part of a start.
    /// </summary>
    /// <exception cref="InvalidDataException">A tile or record does not match the checkpoint.</exception>
    public void VerifyAll()
    {
        var state = _state;
        var size = state.Edge.Size;
        for (var level = 0; TileMath.NodeCount(size, level) > 0; level++)
        {
            for (long tile = 0; tile < TileMath.FullTiles(size, level); tile++)
            {
                ReadFullHashTile(state, level, tile, useCache: false);
            }
        }

        for (long tile = 0; tile * TileMath.TileWidth < size; tile++)
        {
            var entries = tile < TileMath.FullTiles(size, 0) ? ReadFullEntryTile(state, tile, useCache: false) : state.Tail;
            for (var i = 0; i < entries.Count; i++)
            {
                CheckRecord((tile * TileMath.TileWidth) + i, entries[i]);
            }
        }
    }

    public void Dispose()
    {
        Task committer;
        lock (_queueLock)
        {
            committer = _committer;
        }

        try
        {
            committer.Wait();
        }
        catch (AggregateException)
        {
            // A failed batch has answered its callers already.
        }

        _cleanup.Wait();
        if (Subjects is { } subjects && !_readOnly && _broken is null)
        {
            try
            {
                subjects.Sync(Size);
            }
            catch (IOException e)
            {
                // The next start adds what is not synced from the log again.
                Log.SubjectSyncFailed(_logger, e.Message);
            }
        }
    }

    private void ThrowIfBroken()
    {
        if (_broken is { } reason)
        {
            throw new InvalidOperationException("the embedded log is closed after a failed append: " + reason);
        }
    }

    /// <summary>A caller that gave up before its batch started appends nothing.</summary>
    private void Withdraw(PendingAppend pending, CancellationToken cancellationToken)
    {
        lock (_queueLock)
        {
            if (_queue.Remove(pending))
            {
                pending.Done.TrySetCanceled(cancellationToken);
            }
        }
    }

    private async Task CommitLoopAsync()
    {
        var drained = false;
        try
        {
            while (true)
            {
                List<PendingAppend> batch;
                lock (_queueLock)
                {
                    if (_queue.Count == 0)
                    {
                        _committing = false;
                        drained = true;
                        return;
                    }

                    var take = Math.Min(_queue.Count, MaxBatch);
                    batch = _queue.GetRange(0, take);
                    _queue.RemoveRange(0, take);
                }

                try
                {
                    await CommitBatchAsync(batch);
                }
                catch (Exception e)
                {
                    // Unforeseen: what was durable is answered already; the rest of the batch
                    // fails, and so does every later append until a restart.
                    _broken ??= e.Message;
                    var failed = new InvalidOperationException($"embedded log append failed and the log is closed until restart: {e.Message}", e);
                    batch.ForEach(p => p.Done.TrySetException(failed));
                }
            }
        }
        finally
        {
            // However the loop ends, the next append starts a committer again (once drained, a
            // new one may be running already: that one is not ours to reset).
            if (!drained)
            {
                lock (_queueLock)
                {
                    _committing = false;
                }
            }
        }
    }

    /// <summary>
    /// Commits one batch: each leaf's preparation in order, then the tiles they change, their
    /// staged files and one signed checkpoint, durable together. Only then is the new state
    /// published and are the callers answered; on failure every caller of the batch is failed
    /// and the log refuses appends until a restart settles it on its last durable checkpoint.
    /// </summary>
    private async Task CommitBatchAsync(List<PendingAppend> batch)
    {
        if (_broken is { } reason)
        {
            var closed = new InvalidOperationException("the embedded log is closed after a failed append: " + reason);
            batch.ForEach(p => p.Done.TrySetException(closed));
            return;
        }

        var before = _state;
        var oldSize = before.Edge.Size;
        var edge = before.Edge.Clone();
        var tail = new List<byte[]>(before.Tail);
        var deferred = new DeferredSync();
        var tiles = new List<(string Relative, byte[] Data)>();
        var accepted = new List<(PendingAppend Append, long Index)>();
        foreach (var pending in batch)
        {
            var index = edge.Size;
            var staged = deferred.Files.Count;
            try
            {
                pending.Prepare?.Invoke(index, deferred);
            }
            catch (Exception e)
            {
                deferred.Truncate(staged);
                pending.Done.TrySetException(e);
                continue;
            }

            edge.Append(Rfc6962.LeafHash(pending.Leaf), (level, tile, hashes) => tiles.Add((TilePath.Hash(level, tile, TileMath.TileWidth), hashes)));
            tail.Add(pending.Leaf);
            if (tail.Count == TileMath.TileWidth)
            {
                tiles.Add((TilePath.Entries(index / TileMath.TileWidth, TileMath.TileWidth), EntryBundle.Encode(tail)));
                tail = [];
            }

            accepted.Add((pending, index));
        }

        if (accepted.Count == 0)
        {
            return;
        }

        var newSize = edge.Size;
        if (tail.Count > 0)
        {
            tiles.Add((TilePath.Entries(newSize / TileMath.TileWidth, tail.Count), EntryBundle.Encode(tail)));
        }

        for (var level = 0; level < edge.Levels; level++)
        {
            var (tile, hashes) = edge.Partial(level);
            if (hashes.Count > 0 && TileMath.NodeCount(newSize, level) != TileMath.NodeCount(oldSize, level))
            {
                tiles.Add((TilePath.Hash(level, tile, hashes.Count), edge.PartialBytes(level)));
            }
        }

        SignedCheckpoint next;
        try
        {
            next = Sign(new Checkpoint(Origin, newSize, edge.Root(), []));
            await _store.CommitAppendAsync(tiles, next.Note, deferred);
        }
        catch (Exception e)
        {
            // Nothing of this batch may count: its files may be partly written, and the
            // checkpoint that would name them is not durable. Refuse further appends until a
            // restart settles the files on the last checkpoint.
            _broken = e.Message;
            var failed = new InvalidOperationException($"embedded log append failed and the log is closed until restart: {e.Message}", e);
            accepted.ForEach(a => a.Append.Done.TrySetException(failed));
            return;
        }

        // The leaves are durable now: whatever happens next, the new state is published and
        // every caller is answered with success.
        var after = new LogState(next, edge, tail);
        try
        {
            // The subject index is derived from durable leaves; if the process stops before it
            // is written, the next start adds these again from the tiles.
            NoteSubjects(accepted.Select(a => (a.Index, a.Append.Leaf)), newSize);
        }
        finally
        {
            _state = after;
            accepted.ForEach(a => a.Append.Done.TrySetResult((a.Index, after)));
        }

        // Superseded partials are only clutter now: removing them need not hold up the answer.
        _cleanup = _cleanup.ContinueWith(_ => DeleteSuperseded(oldSize, newSize), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    private void NoteSubjects(IEnumerable<(long Index, byte[] Leaf)> leaves, long size)
    {
        try
        {
            IndexSubjects(leaves, size);
        }
        catch (Exception e)
        {
            // The leaves are durable and answered; a search that misses them could pin a tag
            // twice, so the log takes no more appends and the next start indexes them again.
            // Any failure counts (a subject reader that throws too), never only I/O.
            _broken = "the subject index could not be written: " + e.Message;
        }
    }

    /// <summary>Adds the leaves' subjects to the index, syncing it every <see cref="SubjectIndex.SyncEvery"/> entries; throws what the index or the subject reader throws.</summary>
    private void IndexSubjects(IEnumerable<(long Index, byte[] Leaf)> leaves, long size)
    {
        if (Subjects is not { } subjects)
        {
            return;
        }

        var found = new List<(byte[], long)>();
        foreach (var (index, leaf) in leaves)
        {
            if (_subjectOf!(leaf, Envelopes) is { } subject)
            {
                found.Add((subject, index));
            }
        }

        subjects.Add(found);
        if (size - subjects.Synced >= SubjectIndex.SyncEvery)
        {
            subjects.Sync(size);
        }
    }

    private void Load()
    {
        var note = _store.ReadCheckpoint();
        if (note is null)
        {
            if (_readOnly)
            {
                throw new InvalidDataException($"the embedded log has no checkpoint file at {_store.CheckpointPath}");
            }

            if (_store.HasAnyTiles())
            {
                throw new InvalidDataException($"the embedded log has tiles but no checkpoint file at {_store.CheckpointPath}; refusing to start on a log whose size is unknown");
            }

            var empty = Sign(new Checkpoint(Origin, 0, Rfc6962.EmptyRoot(), []));
            _store.WriteCheckpoint(empty.Note);
            _state = new LogState(empty, TileEdge.Empty(), []);
            return;
        }

        Checkpoint checkpoint;
        try
        {
            checkpoint = Checkpoint.Parse(NoteOpener.Open(note, [_verifier]).Text);
        }
        catch (Exception e) when (e is FormatException or NoteVerificationException)
        {
            throw new InvalidDataException($"the embedded log checkpoint does not verify with the log key: {e.Message}", e);
        }

        if (checkpoint.Origin != Origin)
        {
            throw new InvalidDataException($"the embedded log checkpoint is for origin \"{checkpoint.Origin}\", but the log key is \"{Origin}\"");
        }

        var size = checkpoint.Size;
        TileEdge edge;
        IReadOnlyList<byte[]> tail;
        try
        {
            // The right edge is the tree's compact range: the root follows from it alone.
            edge = TileEdge.Read(size, (level, tile, width) => _store.ReadHashTile(level, tile, width));
            var width = TileMath.PartialWidth(size, 0);
            tail = width > 0 ? _store.ReadEntryTile(TileMath.FullTiles(size, 0), width) : [];
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            throw new InvalidDataException($"the embedded log cannot be read back to its checkpoint size {size}: {e.Message}", e);
        }

        var root = edge.Root();
        if (!CryptographicOperations.FixedTimeEquals(root, checkpoint.RootHash))
        {
            throw new InvalidDataException(
                $"the embedded log's right-edge hash tiles hash to a root that does not match its checkpoint: size {size}, checkpoint root {Convert.ToBase64String(checkpoint.RootHash)}, tiles hash to {Convert.ToBase64String(root)}");
        }

        var (_, edgeLeaves) = edge.Partial(0);
        for (var i = 0; i < tail.Count; i++)
        {
            if (!Rfc6962.LeafHash(tail[i]).AsSpan().SequenceEqual(edgeLeaves[i]))
            {
                throw new InvalidDataException($"the embedded log's entries do not match its checkpoint: entry {size - tail.Count + i} does not hash to its leaf hash in the checked hash tile");
            }
        }

        var state = new LogState(new SignedCheckpoint(checkpoint, note), edge, [.. tail]);

        // The newest leaves' records are checked now (an append cut short leaves its damage
        // there); older ones when they are read, or by VerifyAll.
        for (var i = 0; i < tail.Count; i++)
        {
            CheckRecord(size - tail.Count + i, tail[i]);
        }

        // Only now, with the checkpoint and its edge verified, is anything else disposable
        // (by the log's owner: a reader may be looking at a live log mid-append).
        var removed = _readOnly ? 0 : _store.DeleteUnnamed(size);
        if (removed > 0)
        {
            Log.CutBack(_logger, removed, size);
        }

        _state = state;
        if (Subjects is { } subjects)
        {
            try
            {
                IndexSubjectsAtStart(subjects, state, size);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The marker moves only past what was indexed: a start that cannot index the log
                // refuses to open rather than serve lookups that miss pinned entries.
                throw new IOException($"the embedded log's subject index ({subjects.Directory}) cannot be brought up to the log's size {size}: {e.Message}; refusing to start with entries missing from it", e);
            }
        }

        Log.Opened(_logger, Origin, size);
    }

    /// <summary>Adds the entries the subject index may miss: those after its last sync, or all of them when it is damaged.</summary>
    private void IndexSubjectsAtStart(SubjectIndex subjects, LogState state, long size)
    {
        // An index that lost synced records, or that names more of the log than there is,
        // would miss entries: it is rebuilt from the log (a full read, only after damage).
        var damage = subjects.Damage ?? (subjects.Synced > size ? $"it names {subjects.Synced} entries but the log has {size}" : null);
        if (damage is not null)
        {
            Log.SubjectIndexRebuilt(_logger, damage, size);
            subjects.Clear();
        }

        // One entry bundle at a time, so a rebuild holds no more than a bundle in memory.
        var from = subjects.Synced;
        for (var tile = from / TileMath.TileWidth; tile * TileMath.TileWidth < size; tile++)
        {
            var entries = EntryTile(state, tile);
            var leaves = new List<(long, byte[])>();
            for (var i = 0; i < Width(size, tile); i++)
            {
                var index = (tile * TileMath.TileWidth) + i;
                if (index >= from)
                {
                    leaves.Add((index, entries[i]));
                }
            }

            IndexSubjects(leaves, (tile * TileMath.TileWidth) + Width(size, tile));
        }

        if (from < size)
        {
            subjects.Sync(size);
        }
    }

    /// <summary>A dsse leaf without its believable record is a log that cannot say what it holds.</summary>
    private void CheckRecord(long index, byte[] leaf)
    {
        if (DsseV001Body.EnvelopeHash(leaf) is not null)
        {
            ReadEntry(index, leaf);
        }
    }

    /// <summary>Proofs over <paramref name="state"/>'s tree, from its edge and verified tiles.</summary>
    private TileProofs Proofs(LogState state) =>
        new((tile, _) =>
        {
            var hashes = HashTile(state, tile.Level, tile.Index);
            var need = tile.Width * Rfc6962.HashSize;
            return Task.FromResult(hashes.Length == need ? hashes : hashes[..need]);
        });

    /// <summary>The hash tile (level, index) of <paramref name="state"/>'s tree at its widest, verified.</summary>
    private byte[] HashTile(LogState state, int level, long index)
    {
        var size = state.Edge.Size;
        var full = TileMath.FullTiles(size, level);
        if (index < full)
        {
            return ReadFullHashTile(state, level, index, useCache: true);
        }

        var (edgeIndex, hashes) = state.Edge.Partial(level);
        if (index == edgeIndex && hashes.Count > 0)
        {
            return state.Edge.PartialBytes(level);
        }

        throw new ArgumentOutOfRangeException(nameof(index), index, $"the log of size {size} has no hash tile {level}/{index}");
    }

    /// <summary>
    /// A full hash tile from disk, believed only when its 256 hashes fold to the node the tile
    /// above holds for it (that tile checked the same way, up to the edge the checkpoint names).
    /// </summary>
    private byte[] ReadFullHashTile(LogState state, int level, long index, bool useCache)
    {
        if (useCache && _hashTiles.TryGet((level, index), out var cached))
        {
            return cached;
        }

        byte[] tile;
        try
        {
            tile = _store.ReadHashTile(level, index, TileMath.TileWidth);
        }
        catch (IOException e)
        {
            throw new InvalidDataException($"the embedded log is missing hash tile {TilePath.Hash(level, index, TileMath.TileWidth)}: {e.Message}", e);
        }

        var parent = HashTile(state, level + 1, index / TileMath.TileWidth);
        var slot = (int)(index % TileMath.TileWidth) * Rfc6962.HashSize;
        if (!TileEdge.FullTileRoot(tile).AsSpan().SequenceEqual(parent.AsSpan(slot, Rfc6962.HashSize)))
        {
            throw new InvalidDataException($"hash tile {TilePath.Hash(level, index, TileMath.TileWidth)} does not match the log's checkpoint");
        }

        _hashTiles.Set((level, index), tile);
        return tile;
    }

    /// <summary>The entries of bundle <paramref name="tile"/> of <paramref name="state"/>'s tree, verified.</summary>
    private IReadOnlyList<byte[]> EntryTile(LogState state, long tile) =>
        tile < TileMath.FullTiles(state.Edge.Size, 0) ? ReadFullEntryTile(state, tile, useCache: true) : state.Tail;

    /// <summary>A full entry bundle from disk, believed only when its leaves hash to its verified level-0 hash tile.</summary>
    private IReadOnlyList<byte[]> ReadFullEntryTile(LogState state, long tile, bool useCache)
    {
        if (useCache && _entryTiles.TryGet(tile, out var cached))
        {
            return cached;
        }

        IReadOnlyList<byte[]> entries;
        try
        {
            entries = _store.ReadEntryTile(tile, TileMath.TileWidth);
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            throw new InvalidDataException($"the embedded log cannot read entry bundle {TilePath.Entries(tile, TileMath.TileWidth)}: {e.Message}", e);
        }

        var hashes = HashTile(state, 0, tile);
        for (var i = 0; i < entries.Count; i++)
        {
            if (!Rfc6962.LeafHash(entries[i]).AsSpan().SequenceEqual(hashes.AsSpan(i * Rfc6962.HashSize, Rfc6962.HashSize)))
            {
                throw new InvalidDataException($"the embedded log's entries do not match its checkpoint: entry {(tile * TileMath.TileWidth) + i} in {TilePath.Entries(tile, TileMath.TileWidth)} does not hash to its leaf hash");
            }
        }

        _entryTiles.Set(tile, entries);
        return entries;
    }

    /// <summary>
    /// Rekor v1's signed entry timestamp for the leaf at <paramref name="index"/>, made with the
    /// log's checkpoint key once, at append: what gives a stock Sigstore client the entry's
    /// integrated time. It is kept in the envelope record and never made again on a read.
    /// </summary>
    public byte[] SignEntryTimestamp(byte[] leaf, long integratedTime, long index) =>
        _signer.Sign(System.Text.Encoding.UTF8.GetString(SignedEntryTimestamp.CanonicalPayload(leaf, integratedTime, Trusted.LogId, index)));

    /// <summary>Whether <paramref name="record"/>'s timestamp is the log's signature over <paramref name="leaf"/>, its time and index.</summary>
    public bool Signed(byte[] leaf, EnvelopeRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var payload = SignedEntryTimestamp.CanonicalPayload(leaf, record.IntegratedTime, Trusted.LogId, record.LogIndex);
        return PublicKeySignature.VerifyData(Trusted.PublicKeyDer, payload, record.SignedEntryTimestamp);
    }

    /// <summary>
    /// The leaf at <paramref name="index"/> read back: a dsse leaf with the envelope, time and
    /// timestamp of its record, which must be there, hash to the leaf's envelopeHash, and carry
    /// the log's signature over this leaf, time and index; a leaf of the earlier kind decoded.
    /// </summary>
    /// <exception cref="InvalidDataException">A dsse leaf's record is missing or not to be believed: the log is damaged.</exception>
    /// <exception cref="IOException">The record could not be read.</exception>
    /// <exception cref="FormatException">A leaf of neither kind.</exception>
    public ReadLeaf ReadEntry(long index, byte[] leaf)
    {
        if (DsseV001Body.EnvelopeHash(leaf) is not { } hash)
        {
            return EmbeddedEntry.Read(leaf, Envelopes);
        }

        var file = Envelopes.PathOf(hash);
        EnvelopeRecord record;
        try
        {
            record = Envelopes.Read(hash) ?? throw new InvalidDataException($"the embedded log is damaged: the envelope record {file} of leaf {index} is missing");
        }
        catch (FormatException e)
        {
            // A file that cannot be opened is an outage, left to propagate; one that reads wrong is damage.
            throw new InvalidDataException($"the embedded log is damaged: the envelope record {file} of leaf {index} cannot be read: {e.Message}", e);
        }

        if (record.LogIndex != index || !Signed(leaf, record))
        {
            throw new InvalidDataException($"the embedded log is damaged: the envelope record {file} of leaf {index} does not carry the log's signed entry timestamp over this leaf, its index and integratedTime {record.IntegratedTime}");
        }

        return new ReadLeaf(DsseV001Body.Kind, DsseV001Body.Version, record.IntegratedTime, record.Envelope, record.SignedEntryTimestamp);
    }

    /// <summary>One leaf of the tree of <paramref name="checkpoint"/>'s size, from a verified bundle.</summary>
    public byte[] ReadLeaf(long index, SignedCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var size = checkpoint.Checkpoint.Size;
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, size);
        return EntryTile(_state, index / TileMath.TileWidth)[(int)(index % TileMath.TileWidth)];
    }

    private void DeleteSuperseded(long oldSize, long newSize)
    {
        try
        {
            _store.DeleteSuperseded(entries: true, 0, oldSize / TileMath.TileWidth, (int)(oldSize % TileMath.TileWidth));
            for (var level = 0; TileMath.NodeCount(newSize, level) > 0; level++)
            {
                var oldNodes = TileMath.NodeCount(oldSize, level);
                if (TileMath.NodeCount(newSize, level) == oldNodes)
                {
                    break;
                }

                _store.DeleteSuperseded(entries: false, level, oldNodes / TileMath.TileWidth, (int)(oldNodes % TileMath.TileWidth));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Harmless: a leftover partial tile is ignored and cleaned up at the next start.
            Log.CleanupFailed(_logger, e.Message);
        }
    }

    /// <summary>How many of <paramref name="count"/> nodes (or entries) tile <paramref name="tile"/> holds.</summary>
    private static int Width(long count, long tile) => (int)Math.Min(TileMath.TileWidth, count - (tile * TileMath.TileWidth));

    private SignedCheckpoint Sign(Checkpoint checkpoint) => new(checkpoint, NoteOpener.Sign(checkpoint.Format(), _signer));

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Transparency.EmbeddedOpened, Level = LogLevel.Information, Message = "embedded log {Origin} opened and verified at size {Size}")]
        public static partial void Opened(ILogger logger, string origin, long size);

        [LoggerMessage(EventId = EventIds.Transparency.EmbeddedCleanupFailed, Level = LogLevel.Warning, Message = "could not delete a superseded partial tile: {Reason}")]
        public static partial void CleanupFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = EventIds.Transparency.EmbeddedCutBack, Level = LogLevel.Warning, Message = "removed {Count} tile files that checkpoint size {Size} does not name (an append cut short, or superseded partials)")]
        public static partial void CutBack(ILogger logger, int count, long size);

        [LoggerMessage(EventId = EventIds.Transparency.EmbeddedSubjectSyncFailed, Level = LogLevel.Warning, Message = "could not sync the subject index at close: {Reason}; the next start indexes the newest entries again")]
        public static partial void SubjectSyncFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = EventIds.Transparency.EmbeddedSubjectIndexRebuilt, Level = LogLevel.Warning, Message = "the subject index cannot be trusted ({Reason}); rebuilding it from the log's {Size} entries")]
        public static partial void SubjectIndexRebuilt(ILogger logger, string reason, long size);
    }

    /// <summary>What readers see at once: the durable checkpoint, the edge of its tree, and the leaves of its trailing partial bundle.</summary>
    private sealed record LogState(SignedCheckpoint Checkpoint, TileEdge Edge, IReadOnlyList<byte[]> Tail);

    /// <summary>An append waiting for, or in, a batch.</summary>
    private sealed class PendingAppend(byte[] leaf, Action<long, DeferredSync>? prepare)
    {
        public byte[] Leaf { get; } = leaf;

        public Action<long, DeferredSync>? Prepare { get; } = prepare;

        public TaskCompletionSource<(long Index, LogState State)> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>A leaf just appended: its index, the checkpoint that first includes it, and the proof.</summary>
internal sealed record AppendedLeaf(long Index, SignedCheckpoint Checkpoint, IReadOnlyList<byte[]> Proof);

/// <summary>A checkpoint together with the exact signed note that carries it.</summary>
internal sealed record SignedCheckpoint(Checkpoint Checkpoint, string Note);
