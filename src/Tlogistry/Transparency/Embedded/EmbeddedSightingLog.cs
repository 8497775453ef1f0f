using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Transparency.Embedded;

/// <summary>
/// The embedded log as the ledger uses it: each leaf holds a whole envelope (kind
/// <c>tlogistry/sighting</c>), so scanning the log rebuilds the store, and each append
/// answers with a bundle-ready entry whose proof is against the checkpoint it produced.
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
    /// Appends the envelope, unless the log holds this very envelope (and certificate) already:
    /// then that entry is the answer, so sending one request twice makes one entry. The lookup
    /// goes through the subject index; callers send one tag's envelope one at a time (the
    /// ledger's single flight), which closes the gap between lookup and append.
    /// </summary>
    public async Task<TlogEntry> AppendAsync(DsseEnvelope envelope, SignerMaterial signer, CancellationToken cancellationToken)
    {
        var integrated = _time.GetUtcNow().ToUnixTimeSeconds();
        var json = envelope.ToJson();
        var certificate = signer.Certificates.Count > 0 ? signer.Certificates[0] : null;
        var leaf = EmbeddedEntry.Encode(integrated, json, certificate);
        if (FindSame(leaf, json, certificate) is { } existing)
        {
            return existing;
        }

        var appended = await _log.AppendLeafAsync(leaf, cancellationToken);
        return Entry(appended.Index, integrated, leaf, appended.Checkpoint, appended.Proof);
    }

    /// <summary>The entry whose leaf differs from <paramref name="leaf"/> at most in its integrated time, or null.</summary>
    private TlogEntry? FindSame(byte[] leaf, byte[] envelope, byte[]? certificate)
    {
        if (_log.Subjects is not { } subjects || EmbeddedEntry.Subject(leaf) is not { } subject)
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
            long integrated;
            try
            {
                integrated = EmbeddedEntry.Decode(held).IntegratedTime;
            }
            catch (FormatException)
            {
                continue;
            }

            // The encoding is deterministic: the same envelope and certificate at that time give the same bytes.
            if (EmbeddedEntry.Encode(integrated, envelope, certificate).AsSpan().SequenceEqual(held))
            {
                return Entry(index, integrated, held, checkpoint, _log.InclusionProof(index, size));
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

            var leaf = _log.ReadLeaf(index, checkpoint);
            var (integrated, envelope) = Decode(leaf);
            yield return new LogRecord(Entry(index, integrated, leaf, checkpoint, _log.InclusionProof(index, size)), envelope);
        }

        await Task.CompletedTask;
    }

    public async IAsyncEnumerable<LogRecord> ReadFromAsync(long startIndex, IReadOnlyList<SignerMaterial> signers, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var checkpoint = _log.LatestCheckpoint;
        await foreach (var (index, leaf) in _log.ReadLeavesAsync(startIndex, checkpoint, cancellationToken))
        {
            var (integrated, envelope) = Decode(leaf);
            var proof = _log.InclusionProof(index, checkpoint.Checkpoint.Size);
            yield return new LogRecord(Entry(index, integrated, leaf, checkpoint, proof), envelope);
        }
    }

    /// <summary>A leaf that is not a sighting is handed on without an envelope; the reader reports it.</summary>
    private static (long IntegratedTime, DsseEnvelope? Envelope) Decode(byte[] leaf)
    {
        try
        {
            var (integrated, json) = EmbeddedEntry.Decode(leaf);
            return (integrated, DsseEnvelope.Parse(json));
        }
        catch (FormatException)
        {
            return (0, null);
        }
    }

    private TlogEntry Entry(long index, long integrated, byte[] leaf, SignedCheckpoint checkpoint, IReadOnlyList<byte[]> proof) =>
        new(
            index,
            _log.Trusted.LogId,
            EmbeddedEntry.Kind,
            EntryBody.SightingVersion,
            integrated,
            SignedEntryTimestamp: null,
            new InclusionProof(index, checkpoint.Checkpoint.RootHash, checkpoint.Checkpoint.Size, proof, checkpoint.Note),
            leaf);
}
