using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Tlogistry.Telemetry;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.LogServer;

/// <summary>
/// The embedded log plus its sidecar, as the HTTP APIs see it: appends that dedupe by leaf
/// hash, lookups by index, leaf hash and search key, proofs against the latest checkpoint,
/// and Rekor v1 signed entry timestamps made with the log's own Ed25519 key.
/// </summary>
internal sealed partial class ServedLog : IDisposable
{
    private readonly EmbeddedLog _log;
    private readonly EntrySidecar _sidecar;
    private readonly Ed25519NoteSigner _key;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    // Dedupe, append and the sidecar row form one step; EmbeddedLog's own lock covers only the append.
    private readonly SemaphoreSlim _appendLock = new(1, 1);
    private long _recorded;

    private ServedLog(string logDirectory, EmbeddedLog log, EntrySidecar sidecar, Ed25519NoteSigner key, TimeProvider time, ILogger logger)
    {
        LogDirectory = logDirectory;
        _log = log;
        _sidecar = sidecar;
        _key = key;
        _time = time;
        _logger = logger;
        V1LogId = SHA256.HashData(log.Trusted.PublicKeyDer);
        TreeId = BinaryPrimitives.ReadInt64BigEndian(V1LogId) & long.MaxValue;
    }

    public string LogDirectory { get; }

    /// <summary>Whose entries are appended; anyone's by default.</summary>
    public WriterPolicy Writers { get; set; } = WriterPolicy.Open;

    public EmbeddedLog Embedded => _log;

    /// <summary>Rekor v1 log ID: SHA-256 of the DER SubjectPublicKeyInfo.</summary>
    public byte[] V1LogId { get; }

    /// <summary>Rekor v2 / tiles log ID: the signed-note key hash.</summary>
    public byte[] V2LogId => _log.Trusted.LogId;

    public byte[] PublicKeyDer => _log.Trusted.PublicKeyDer;

    /// <summary>A Rekor-style tree ID, derived from the key so that uuids are stable across restarts.</summary>
    public long TreeId { get; }

    public string TreeIdHex => TreeId.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>When this log was created (its key file), for the trusted root's validFor.start.</summary>
    public DateTimeOffset CreatedAt { get; private set; }

    public static async Task<ServedLog> OpenAsync(string dataDir, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logDir = Path.Combine(dataDir, "log");
        var log = EmbeddedLog.Open(logDir, loggers.CreateLogger<EmbeddedLog>());
        var key = LogKey.LoadOrCreate(Path.Combine(logDir, "log-key"));
        var sidecar = new EntrySidecar(Path.Combine(dataDir, "entries.db"));
        var served = new ServedLog(logDir, log, sidecar, key, time, loggers.CreateLogger<ServedLog>());
        try
        {
            served.CreatedAt = served.LoadCreatedAt(Path.Combine(logDir, "log-key"));
            await served.CatchUpAsync(cancellationToken);
            return served;
        }
        catch
        {
            served.Dispose();
            throw;
        }
    }

    /// <summary>Appends an accepted entry, or finds the identical one already logged.</summary>
    /// <exception cref="WriterRefusedException">The entry's signer is not an allowed writer.</exception>
    public async Task<(LoggedEntry Entry, bool Created)> AppendAsync(CanonicalEntry entry, CancellationToken cancellationToken)
    {
        if (Writers.Refusal(entry) is { } refusal)
        {
            throw new WriterRefusedException(refusal);
        }

        var leafHash = Rfc6962.LeafHash(entry.Body);
        await _appendLock.WaitAsync(cancellationToken);
        try
        {
            await CatchUpAsync(cancellationToken);
            if (_sidecar.ByLeafHash(leafHash) is { } existing)
            {
                return (new LoggedEntry(existing, entry.Body), false);
            }

            var appended = await _log.AppendLeafAsync(entry.Body, cancellationToken);
            var row = new SidecarRow(appended.Index, leafHash, entry.Kind, entry.ApiVersion, _time.GetUtcNow().ToUnixTimeSeconds(), entry.Attestation);
            _sidecar.Insert(row, entry.IndexKeys.Select(k => k.ToLowerInvariant()));
            _recorded = appended.Index + 1;
            Log.Appended(_logger, appended.Index, entry.Kind, entry.ApiVersion);
            return (new LoggedEntry(row, entry.Body), true);
        }
        finally
        {
            _appendLock.Release();
        }
    }

    public async Task<LoggedEntry?> ByIndexAsync(long index, CancellationToken cancellationToken)
    {
        if (index < 0 || index >= _log.Size || _sidecar.ByIndex(index) is not { } row)
        {
            return null;
        }

        return new LoggedEntry(row, await ReadLeafAsync(index, cancellationToken));
    }

    public async Task<LoggedEntry?> ByLeafHashAsync(byte[] leafHash, CancellationToken cancellationToken) =>
        _sidecar.ByLeafHash(leafHash) is { } row ? new LoggedEntry(row, await ReadLeafAsync(row.LogIndex, cancellationToken)) : null;

    public IReadOnlyList<long> Search(string key) => _sidecar.Search(key.ToLowerInvariant());

    /// <summary>Entries under every one of these keys (an "and" search), oldest first.</summary>
    public IReadOnlyList<long> SearchAll(IReadOnlyList<string> keys) => _sidecar.SearchAll([.. keys.Select(k => k.ToLowerInvariant())]);

    /// <summary>Throws unless the log takes appends and its checkpoint file and entry sidecar can be read.</summary>
    public void CheckReadable()
    {
        _log.CheckReadable();
        _ = _sidecar.Count();
    }

    /// <summary>The latest checkpoint and an inclusion proof of <paramref name="index"/> against it.</summary>
    public (SignedCheckpoint Checkpoint, IReadOnlyList<byte[]> Hashes) Prove(long index)
    {
        var checkpoint = _log.LatestCheckpoint;
        return (checkpoint, _log.InclusionProof(index, checkpoint.Checkpoint.Size));
    }

    /// <summary>The name Rekor v1 checkpoints are signed as: the host (and port) of the log's public URL, as Rekor signs as its host.</summary>
    public string V1SignerName { get; set; } = "localhost";

    /// <summary>
    /// <paramref name="checkpoint"/> as Rekor v1 serves one: the same text signed by the same key
    /// twice, as the tiles log names it (its origin) and as Rekor v1 names its key (the log ID's
    /// first four bytes, under <see cref="V1SignerName"/>), so a client finds the key by either
    /// log ID it trusts, and one checkpoint serves both APIs' readers.
    /// </summary>
    public string V1Note(SignedCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return NoteOpener.Sign(checkpoint.Checkpoint.Format(), _key, new V1Signer(V1SignerName, BinaryPrimitives.ReadUInt32BigEndian(V1LogId), _key));
    }

    /// <summary>Rekor v1's SET: a signature over the JCS of body, integratedTime, logID (hex) and logIndex.</summary>
    public byte[] SignEntryTimestamp(byte[] body, long integratedTime, long logIndex) =>
        _key.Sign(Encoding.UTF8.GetString(SignedEntryTimestamp.CanonicalPayload(body, integratedTime, V1LogId, logIndex)));

    public void Dispose()
    {
        _sidecar.Dispose();
        _log.Dispose();
        _appendLock.Dispose();
    }

    private async Task<byte[]> ReadLeafAsync(long index, CancellationToken cancellationToken)
    {
        await foreach (var (_, leaf) in _log.ReadLeavesAsync(index, _log.LatestCheckpoint, cancellationToken))
        {
            return leaf;
        }

        throw new InvalidOperationException($"log entry {index} is not in the log");
    }

    /// <summary>
    /// Rows for leaves the log holds but the sidecar does not (a stop between the append and
    /// the row): rebuilt from the leaf, timed now, with no intoto envelope.
    /// </summary>
    private async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        var size = _log.Size;
        if (_recorded == size)
        {
            return;
        }

        var recorded = _sidecar.Count();
        if (recorded > size)
        {
            throw new InvalidDataException($"the entry sidecar records {recorded} entries but the log holds only {size}; the sidecar belongs to another log or the log was rolled back");
        }

        if (recorded < size)
        {
            await foreach (var (index, leaf) in _log.ReadLeavesAsync(recorded, _log.LatestCheckpoint, cancellationToken))
            {
                var (kind, version, keys) = StoredBody.Describe(leaf);
                _sidecar.Insert(new SidecarRow(index, Rfc6962.LeafHash(leaf), kind, version, _time.GetUtcNow().ToUnixTimeSeconds(), null), keys);
            }

            Log.Rebuilt(_logger, size - recorded);
        }

        _recorded = size;
    }

    private DateTimeOffset LoadCreatedAt(string keyPath)
    {
        if (_sidecar.GetMeta("created") is { } text && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }

        var created = new DateTimeOffset(File.GetLastWriteTimeUtc(keyPath), TimeSpan.Zero);
        var now = _time.GetUtcNow();
        var start = DateTimeOffset.FromUnixTimeSeconds(Math.Min(created.ToUnixTimeSeconds(), now.ToUnixTimeSeconds()));
        _sidecar.SetMeta("created", start.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        return start;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.LogServer.Appended, Level = LogLevel.Information, Message = "appended entry {Index} ({Kind} {Version})")]
        public static partial void Appended(ILogger logger, long index, string kind, string version);

        [LoggerMessage(EventId = EventIds.LogServer.Rebuilt, Level = LogLevel.Warning, Message = "rebuilt {Count} sidecar rows from the log's leaves (integrated time set now, intoto envelopes unknown)")]
        public static partial void Rebuilt(ILogger logger, long count);
    }
}

/// <summary>The log's Ed25519 key under Rekor v1's key ID.</summary>
internal sealed class V1Signer(string name, uint keyId, Ed25519NoteSigner key) : INoteSigner
{
    public string Name => name;

    public uint KeyId => keyId;

    public byte[] Sign(string text) => key.Sign(text);
}

/// <summary>An entry as served: its sidecar row and the exact leaf bytes.</summary>
internal sealed record LoggedEntry(SidecarRow Row, byte[] Body)
{
    public long LogIndex => Row.LogIndex;
}
