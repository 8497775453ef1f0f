using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Tlogistry.Telemetry;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Tiles;

namespace Tlogistry.Transparency.Embedded;

/// <summary>
/// A file-backed RFC 6962 log in the data directory. The Merkle tree lives in memory
/// (two hashes per leaf); entries and hashes live on disk as C2SP tiles, and a signed
/// C2SP checkpoint is written on every append. An append returns only once its tiles and
/// checkpoint are fsynced. At start the files are re-read and the rebuilt tree must match
/// the checkpoint, or the log refuses to open.
/// </summary>
internal sealed partial class EmbeddedLog : IDisposable
{
    private readonly TileStore _store;
    private readonly INoteSigner _signer;
    private readonly INoteVerifier _verifier;
    private readonly MerkleTree _tree = new();
    private readonly List<byte[]> _tail = [];
    // Guards the tree and the tail: appends, and proofs read from the tree.
    private readonly SemaphoreSlim _treeLock = new(1, 1);
    private readonly ILogger _logger;
    private volatile SignedCheckpoint _checkpoint;
    private string? _broken;
    private bool _readOnly;

    // Set when the owner searches the log by subject: fed every leaf, in order, at load and on append.
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
        _checkpoint = new SignedCheckpoint(new Checkpoint(origin, 0, Rfc6962.EmptyRoot(), []), "");
    }

    public string Origin { get; }

    /// <summary>The verifier key of the log, in signed-note vkey form, for anyone checking checkpoints.</summary>
    public string VerifierKey { get; private set; } = "";

    /// <summary>The log as a verifier trusts it: its Ed25519 key, and its signed-note key hash as log ID.</summary>
    public TrustedLog Trusted { get; private set; } = null!;

    public long Size => _checkpoint.Checkpoint.Size;

    public SignedCheckpoint LatestCheckpoint => _checkpoint;

    /// <summary>What the log's dsse leaves only hash: their envelopes and integrated times.</summary>
    public EnvelopeRecords Envelopes { get; private init; } = null!;

    /// <summary>The entries by subject, when the log was opened with a way to read a leaf's subject; else null.</summary>
    public SubjectIndex? Subjects { get; private set; }

    /// <summary>
    /// Opens (or creates) the log in <paramref name="directory"/>, checking every file against
    /// the checkpoint. With <paramref name="subjectOf"/> (a leaf's subject hash, or null) the
    /// log keeps <see cref="Subjects"/>, built from the leaves it reads back anyway.
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
            Subjects = subjectOf is null ? null : new SubjectIndex(),
        };
        log.Load();
        return log;
    }

    /// <summary>
    /// Opens an existing log to read it, checked like <see cref="Open"/> but writing nothing: no
    /// key or checkpoint is created and no stray tile is removed, so a running service's log can
    /// be read beside it (its appends only add files). Appends are refused.
    /// </summary>
    public static EmbeddedLog OpenReadOnly(string directory, ILogger logger)
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
        return log;
    }

    /// <summary>
    /// Appends one leaf and returns once its tiles and the new checkpoint are durable, with
    /// the leaf's inclusion proof against that checkpoint. <paramref name="prepare"/>, given the
    /// index the leaf will have, runs first under the append lock: what must be durable before
    /// the leaf (its envelope record); if it throws, nothing is appended.
    /// </summary>
    public async Task<AppendedLeaf> AppendLeafAsync(byte[] leaf, CancellationToken cancellationToken, Action<long>? prepare = null)
    {
        if (leaf.Length > EntryBundle.MaxEntrySize)
        {
            throw new InvalidOperationException($"log entry of {leaf.Length} bytes exceeds the {EntryBundle.MaxEntrySize}-byte tile entry limit");
        }

        await _treeLock.WaitAsync(cancellationToken);
        try
        {
            if (_readOnly)
            {
                throw new InvalidOperationException("the embedded log was opened read-only");
            }

            if (_broken is not null)
            {
                throw new InvalidOperationException("the embedded log is closed after a failed append: " + _broken);
            }

            prepare?.Invoke(_tree.Size);
            var oldSize = _tree.Size;
            var index = _tree.Append(Rfc6962.LeafHash(leaf));
            _tail.Add(leaf);
            try
            {
                var next = Sign(new Checkpoint(Origin, _tree.Size, _tree.Root(), []));
                await _store.CommitAppendAsync(NewTiles(oldSize), next.Note);
                _checkpoint = next;
            }
            catch (Exception e)
            {
                // The in-memory tree now runs ahead of the files. Refuse further appends
                // until a restart re-reads the files and settles on the last checkpoint.
                _broken = e.Message;
                throw new InvalidOperationException($"embedded log append failed and the log is closed until restart: {e.Message}", e);
            }

            NoteSubject(index, leaf);

            // Superseded partials are only clutter now: removing them need not hold up the answer.
            var newSize = _tree.Size;
            _cleanup = _cleanup.ContinueWith(_ => DeleteSuperseded(oldSize, newSize), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            if (_tail.Count == TileMath.TileWidth)
            {
                _tail.Clear();
            }

            return new AppendedLeaf(index, _checkpoint, _tree.InclusionProof(index, _tree.Size));
        }
        finally
        {
            _treeLock.Release();
        }
    }

    /// <summary>
    /// Throws unless the log takes appends (none failed since the start) and its checkpoint
    /// file can still be read: the files, not the in-memory tree, are what must survive.
    /// </summary>
    public void CheckReadable()
    {
        if (_broken is { } reason)
        {
            throw new InvalidOperationException("the embedded log is closed after a failed append: " + reason);
        }

        if (Size > 0 && _store.ReadCheckpoint() is null)
        {
            throw new IOException($"the checkpoint {_store.CheckpointPath} is missing");
        }
    }

    /// <summary>An inclusion proof for <paramref name="index"/> against the tree of <paramref name="size"/> leaves.</summary>
    public IReadOnlyList<byte[]> InclusionProof(long index, long size) =>
        UnderLockAsync(() => _tree.InclusionProof(index, size), CancellationToken.None).GetAwaiter().GetResult();

    public IReadOnlyList<byte[]> ConsistencyProof(long size1, long size2) =>
        UnderLockAsync(() => _tree.ConsistencyProof(size1, size2), CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Leaves from <paramref name="startIndex"/> up to the size of <paramref name="checkpoint"/>.</summary>
    public async IAsyncEnumerable<(long Index, byte[] Leaf)> ReadLeavesAsync(long startIndex, SignedCheckpoint checkpoint, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var size = checkpoint.Checkpoint.Size;
        for (var tile = startIndex / TileMath.TileWidth; tile * TileMath.TileWidth < size; tile++)
        {
            var entries = _store.ReadEntryTile(tile, Width(size, tile));
            for (var i = 0; i < entries.Count; i++)
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

    public void Dispose()
    {
        _cleanup.Wait();
        _treeLock.Dispose();
    }

    /// <summary>MerkleTree is not thread-safe: reads of it take the same lock as appends.</summary>
    private async Task<T> UnderLockAsync<T>(Func<T> read, CancellationToken cancellationToken)
    {
        await _treeLock.WaitAsync(cancellationToken);
        try
        {
            return read();
        }
        finally
        {
            _treeLock.Release();
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
            _checkpoint = empty;
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
        for (long tile = 0; tile * TileMath.TileWidth < size; tile++)
        {
            var width = Width(size, tile);
            IReadOnlyList<byte[]> entries;
            try
            {
                entries = _store.ReadEntryTile(tile, width);
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
            {
                throw new InvalidDataException($"the embedded log cannot be read back to its checkpoint size {size}: {e.Message}", e);
            }

            foreach (var entry in entries)
            {
                var index = _tree.Append(Rfc6962.LeafHash(entry));
                if (DsseV001Body.EnvelopeHash(entry) is not null)
                {
                    // A dsse leaf without its believable record is a log that cannot say what it holds.
                    ReadEntry(index, entry);
                }

                NoteSubject(index, entry);
            }

            if (width < TileMath.TileWidth)
            {
                _tail.AddRange(entries);
            }
        }

        if (!CryptographicOperations.FixedTimeEquals(_tree.Root(), checkpoint.RootHash))
        {
            throw new InvalidDataException(
                $"the embedded log's entries do not match its checkpoint: size {size}, checkpoint root {Convert.ToBase64String(checkpoint.RootHash)}, entries hash to {Convert.ToBase64String(_tree.Root())}");
        }

        CheckHashTiles(size);

        // Only now, with the checkpoint and its tiles verified, is anything else disposable
        // (by the log's owner: a reader may be looking at a live log mid-append).
        var removed = _readOnly ? 0 : _store.DeleteUnnamed(size);
        if (removed > 0)
        {
            Log.CutBack(_logger, removed, size);
        }

        _checkpoint = new SignedCheckpoint(checkpoint, note);
        Log.Opened(_logger, Origin, size);
    }

    private void NoteSubject(long index, byte[] leaf)
    {
        if (_subjectOf?.Invoke(leaf, Envelopes) is { } subject)
        {
            Subjects!.Add(subject, index);
        }
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

    /// <summary>One leaf of the tree of <paramref name="checkpoint"/>'s size.</summary>
    public byte[] ReadLeaf(long index, SignedCheckpoint checkpoint)
    {
        var size = checkpoint.Checkpoint.Size;
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, size);
        var tile = index / TileMath.TileWidth;
        return _store.ReadEntryTile(tile, Width(size, tile))[(int)(index % TileMath.TileWidth)];
    }

    /// <summary>Every stored hash tile must equal the one recomputed from the entries.</summary>
    private void CheckHashTiles(long size)
    {
        for (var level = 0; TileMath.NodeCount(size, level) > 0; level++)
        {
            var nodes = TileMath.NodeCount(size, level);
            for (long tile = 0; tile * TileMath.TileWidth < nodes; tile++)
            {
                var width = Width(nodes, tile);
                byte[] stored;
                try
                {
                    stored = _store.ReadHashTile(level, tile, width);
                }
                catch (Exception e) when (e is InvalidDataException or IOException)
                {
                    throw new InvalidDataException($"the embedded log is missing hash tiles for size {size}: {e.Message}", e);
                }

                if (!stored.AsSpan().SequenceEqual(TileMath.TileHashes(_tree, level, tile, width)))
                {
                    throw new InvalidDataException($"hash tile {TilePath.Hash(level, tile, width)} does not match the log's entries");
                }
            }
        }
    }

    /// <summary>The entry bundle and every hash tile that changed when the tree grew from <paramref name="oldSize"/>.</summary>
    private List<(string Relative, byte[] Data)> NewTiles(long oldSize)
    {
        var newSize = _tree.Size;
        var tile = oldSize / TileMath.TileWidth;
        var tiles = new List<(string, byte[])> { (TilePath.Entries(tile, _tail.Count), EntryBundle.Encode(_tail)) };
        for (var level = 0; TileMath.NodeCount(newSize, level) > 0; level++)
        {
            var nodes = TileMath.NodeCount(newSize, level);
            if (nodes == TileMath.NodeCount(oldSize, level))
            {
                break;
            }

            var t = (nodes - 1) / TileMath.TileWidth;
            var width = (int)(((nodes - 1) % TileMath.TileWidth) + 1);
            tiles.Add((TilePath.Hash(level, t, width), TileMath.TileHashes(_tree, level, t, width)));
        }

        return tiles;
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
    }
}

/// <summary>A leaf just appended: its index, the checkpoint that first includes it, and the proof.</summary>
internal sealed record AppendedLeaf(long Index, SignedCheckpoint Checkpoint, IReadOnlyList<byte[]> Proof);

/// <summary>A checkpoint together with the exact signed note that carries it.</summary>
internal sealed record SignedCheckpoint(Checkpoint Checkpoint, string Note);
