using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Transparency.Embedded;

/// <summary>
/// The embedded log as the ledger uses it: each new leaf is a Rekor v1 dsse 0.0.1 body whose
/// envelope and integrated time are kept in the log's <see cref="EnvelopeRecords"/>, so
/// scanning the log rebuilds the store; leaves of the earlier <c>tlogistry/sighting</c> kind
/// are read as before. Each append answers with a bundle-ready entry: its proof against the
/// checkpoint it produced and, for a dsse leaf, a signed entry timestamp from the log's key.
/// </summary>
internal sealed class EmbeddedSightingLog : ITransparencyLog
{
    private readonly EmbeddedLog _log;
    private readonly TimeProvider _time;

    public EmbeddedSightingLog(EmbeddedLog log, TimeProvider time)
    {
        _log = log;
        _time = time;
    }

    public string Description => $"embedded ({_log.Origin})";

    public byte[] LogId => _log.Trusted.LogId;

    public bool FindsLostPins => true;

    /// <summary>
    /// Appends the envelope, unless the log holds this very envelope (and signer) already:
    /// then that entry is the answer, so sending one request twice makes one entry. The lookup
    /// goes through the subject index; callers send one tag's envelope one at a time (the
    /// ledger's single flight), which closes the gap between lookup and append. The envelope's
    /// record, with the signed entry timestamp made for it now, is durable before its leaf is
    /// appended; a record already there is never overwritten with another time.
    /// </summary>
    public async Task<TlogEntry> AppendAsync(DsseEnvelope envelope, SignerMaterial signer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(signer);
        var json = envelope.ToJson();
        var certificate = signer.Certificates.Count > 0 ? signer.Certificates[0] : null;
        var leaf = EmbeddedEntry.Leaf(json, envelope, signer);
        if (FindSame(leaf, envelope, json, certificate) is { } existing)
        {
            return existing;
        }

        var first = FirstRecord(leaf, json);
        if (first is { } held && held.LogIndex < _log.Size)
        {
            var checkpoint = _log.LatestCheckpoint;
            if (_log.ReadLeaf(held.LogIndex, checkpoint).AsSpan().SequenceEqual(leaf))
            {
                // The log holds this leaf already (found through its record, as when no subject index is kept).
                return Record(held.LogIndex, leaf, checkpoint, _log.InclusionProof(held.LogIndex, checkpoint.Checkpoint.Size)).Entry;
            }
        }

        // A record whose leaf never came (an append cut short) keeps its time; only its index is new.
        var integrated = first?.IntegratedTime ?? _time.GetUtcNow().ToUnixTimeSeconds();
        byte[]? timestamp = null;
        var appended = await _log.AppendLeafAsync(leaf, cancellationToken, (index, deferred) =>
        {
            timestamp = _log.SignEntryTimestamp(leaf, integrated, index);

            // Staged here, made durable with the whole batch before the checkpoint that names the leaf.
            if (!_log.Envelopes.Write(new EnvelopeRecord(integrated, index, timestamp, json), replace: first is not null, deferred))
            {
                throw new InvalidOperationException($"the envelope record {_log.Envelopes.PathOf(SHA256.HashData(json))} appeared during its append");
            }
        });
        return Entry(appended.Index, new ReadLeaf(DsseV001Body.Kind, DsseV001Body.Version, integrated, json, timestamp), leaf, appended.Checkpoint, appended.Proof);
    }

    /// <summary>The record this envelope already has, verified with the log's key; null when there is none.</summary>
    /// <exception cref="LogVerificationException">A record that is not to be believed: the log's files were changed.</exception>
    private EnvelopeRecord? FirstRecord(byte[] leaf, byte[] json)
    {
        var hash = SHA256.HashData(json);
        EnvelopeRecord? record;
        try
        {
            record = _log.Envelopes.Read(hash);
        }
        catch (FormatException e)
        {
            throw new LogVerificationException($"the embedded log is damaged: {e.Message}", e);
        }

        if (record is not null && !_log.Signed(leaf, record))
        {
            throw new LogVerificationException($"the embedded log is damaged: the envelope record {_log.Envelopes.PathOf(hash)} does not carry the log's signed entry timestamp over its leaf, index {record.LogIndex} and integratedTime {record.IntegratedTime}");
        }

        return record;
    }

    /// <summary>The entry that already holds this envelope from this signer (a leaf of either kind), or null.</summary>
    private TlogEntry? FindSame(byte[] leaf, DsseEnvelope envelope, byte[] json, byte[]? certificate)
    {
        if (_log.Subjects is not { } subjects || EmbeddedEntry.Subject(envelope) is not { } subject)
        {
            return null;
        }

        var checkpoint = _log.LatestCheckpoint;
        var size = checkpoint.Checkpoint.Size;
        foreach (var index in subjects.Find(subject))
        {
            if (index >= size)
            {
                continue;
            }

            var held = _log.ReadLeaf(index, checkpoint);
            ReadLeaf read;
            try
            {
                read = _log.ReadEntry(index, held);
            }
            catch (FormatException)
            {
                continue;
            }
            catch (InvalidDataException e)
            {
                // Never "not found" for a leaf that cannot be read: it may be this very sighting.
                throw new LogVerificationException(e.Message, e);
            }

            // Both encodings are deterministic: the same envelope and signer give the same bytes.
            var same = read.Kind == EmbeddedEntry.Kind
                ? EmbeddedEntry.Encode(read.IntegratedTime, json, certificate).AsSpan().SequenceEqual(held)
                : leaf.AsSpan().SequenceEqual(held);
            if (same)
            {
                return Entry(index, read, held, checkpoint, _log.InclusionProof(index, size));
            }
        }

        return null;
    }

    public Task CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            _log.CheckReadable();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            throw new LogUnavailableException("embedded log unavailable: " + e.Message, e);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Entries whose statement names <paramref name="reference"/> by its SHA-256 (as Rekor v1 is
    /// searched), found through the log's <see cref="SubjectIndex"/>; every signer's, since the
    /// reader keeps only ours. A log opened without a subject index finds nothing.
    /// </summary>
    public async IAsyncEnumerable<LogRecord> SearchAsync(string reference, SignerMaterial signer, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (_log.Subjects is not { } subjects)
        {
            yield break;
        }

        var checkpoint = _log.LatestCheckpoint;
        var size = checkpoint.Checkpoint.Size;
        foreach (var index in subjects.Find(SHA256.HashData(Encoding.UTF8.GetBytes(reference))))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (index >= size)
            {
                // Appended after the checkpoint read here: the next search sees it.
                continue;
            }

            yield return Record(index, _log.ReadLeaf(index, checkpoint), checkpoint, _log.InclusionProof(index, size));
        }

        await Task.CompletedTask;
    }

    public async IAsyncEnumerable<LogRecord> ReadFromAsync(long startIndex, IReadOnlyList<SignerMaterial> signers, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var checkpoint = _log.LatestCheckpoint;
        var proofs = _log.InclusionProofsInOrder(checkpoint.Checkpoint.Size);
        await foreach (var (index, leaf) in _log.ReadLeavesAsync(startIndex, checkpoint, cancellationToken))
        {
            yield return Record(index, leaf, checkpoint, proofs(index));
        }
    }

    /// <summary>
    /// A leaf that is not a readable sighting is handed on without an envelope; the reader
    /// reports it. A dsse leaf whose record is gone or not to be believed is a damaged log.
    /// </summary>
    /// <exception cref="LogVerificationException">A dsse leaf's record is missing, malformed or not signed by the log.</exception>
    private LogRecord Record(long index, byte[] leaf, SignedCheckpoint checkpoint, IReadOnlyList<byte[]> proof)
    {
        try
        {
            var read = _log.ReadEntry(index, leaf);
            return new LogRecord(Entry(index, read, leaf, checkpoint, proof), DsseEnvelope.Parse(read.Envelope));
        }
        catch (InvalidDataException e)
        {
            throw new LogVerificationException(e.Message, e);
        }
        catch (FormatException)
        {
            var unread = new ReadLeaf(EmbeddedEntry.Kind, EntryBody.SightingVersion, 0, [], null);
            return new LogRecord(Entry(index, unread, leaf, checkpoint, proof), null);
        }
    }

    /// <summary>
    /// A leaf of the earlier kind states its own time, bound by the inclusion proof; a dsse
    /// leaf's time is the log's word, given as Rekor v1 gives it by the timestamp signed at append.
    /// </summary>
    private TlogEntry Entry(long index, ReadLeaf read, byte[] leaf, SignedCheckpoint checkpoint, IReadOnlyList<byte[]> proof) => new(
        index,
        _log.Trusted.LogId,
        read.Kind,
        read.Version,
        read.IntegratedTime,
        read.SignedEntryTimestamp,
        new InclusionProof(index, checkpoint.Checkpoint.RootHash, checkpoint.Checkpoint.Size, proof, checkpoint.Note),
        leaf);
}
