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
    /// record is made durable before its leaf is appended.
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

        var integrated = _time.GetUtcNow().ToUnixTimeSeconds();
        _log.Envelopes.Write(json, integrated);
        var appended = await _log.AppendLeafAsync(leaf, cancellationToken);
        return Entry(appended.Index, new ReadLeaf(DsseV001Body.Kind, DsseV001Body.Version, integrated, json), leaf, appended.Checkpoint, appended.Proof);
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
                read = EmbeddedEntry.Read(held, _log.Envelopes);
            }
            catch (FormatException)
            {
                continue;
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
        await foreach (var (index, leaf) in _log.ReadLeavesAsync(startIndex, checkpoint, cancellationToken))
        {
            yield return Record(index, leaf, checkpoint, _log.InclusionProof(index, checkpoint.Checkpoint.Size));
        }
    }

    /// <summary>A leaf that is not a readable sighting is handed on without an envelope; the reader reports it.</summary>
    private LogRecord Record(long index, byte[] leaf, SignedCheckpoint checkpoint, IReadOnlyList<byte[]> proof)
    {
        try
        {
            var read = EmbeddedEntry.Read(leaf, _log.Envelopes);
            return new LogRecord(Entry(index, read, leaf, checkpoint, proof), DsseEnvelope.Parse(read.Envelope));
        }
        catch (FormatException)
        {
            var unread = new ReadLeaf(EmbeddedEntry.Kind, EntryBody.SightingVersion, 0, []);
            return new LogRecord(Entry(index, unread, leaf, checkpoint, proof), null);
        }
    }

    private TlogEntry Entry(long index, ReadLeaf read, byte[] leaf, SignedCheckpoint checkpoint, IReadOnlyList<byte[]> proof)
    {
        var entry = new TlogEntry(
            index,
            _log.Trusted.LogId,
            read.Kind,
            read.Version,
            read.IntegratedTime,
            SignedEntryTimestamp: null,
            new InclusionProof(index, checkpoint.Checkpoint.RootHash, checkpoint.Checkpoint.Size, proof, checkpoint.Note),
            leaf);

        // A leaf of the earlier kind states its own time, bound by the inclusion proof; a dsse
        // leaf's time is the log's word, given as Rekor v1 gives it.
        return read.Kind == EmbeddedEntry.Kind ? entry : entry with { SignedEntryTimestamp = _log.SignEntryTimestamp(entry) };
    }
}
