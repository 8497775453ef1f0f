using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tlogistry.Http;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Tiles;

namespace Tlogistry.Transparency.Rekor;

/// <summary>
/// A Rekor v2 log (rekor-tiles, e.g. log2025-1.rekor.sigstore.dev). Sightings go in as
/// hashedrekord v0.0.2 commitments to the envelope; the log cannot be searched or listed, so
/// the bundle store is the lookup path. Reading is by checkpoint and c2sp.org/tlog-tiles,
/// which is how a verifier or monitor rebuilds proofs without trusting the log's word; the
/// same read API serves <c>log serve</c>'s log and a proxy's embedded log, so this client
/// reads those too.
/// </summary>
internal sealed class RekorV2Log : ITransparencyLog, ICheckpointSource
{
    private const int MaxCheckpointBytes = 64 << 10;
    private const int MaxEnvelopeRecordBytes = 1 << 20;
    private readonly RekorHttp _http;
    private readonly byte[] _logId;

    /// <param name="logId">The log's signed-note key hash, as the trusted root lists it for this URL.</param>
    public RekorV2Log(Uri baseUrl, byte[] logId, HttpClient http, JsonHttpOptions options, ILogger<RekorV2Log> logger)
    {
        ArgumentNullException.ThrowIfNull(logId);
        _http = new RekorHttp(baseUrl, http, options, logger);
        _logId = logId.ToArray();
    }

    public string Description => $"rekor v2 ({_http.BaseUrl.AbsoluteUri.TrimEnd('/')})";

    public byte[] LogId => _logId.ToArray();

    public bool FindsLostPins => false;

    public async Task<TlogEntry> AppendAsync(DsseEnvelope envelope, SignerMaterial signer, CancellationToken cancellationToken)
    {
        var answer = await _http.PostJsonAsync("api/v2/log/entries", RekorV2Requests.HashedRekordV002(envelope, signer), cancellationToken);
        if (answer.Status == HttpStatusCode.Conflict)
        {
            // rekor-tiles refuses a request it still remembers (its antispam) and names the entry's index.
            return await ExistingAsync(answer, cancellationToken);
        }

        if (answer.Status is not (HttpStatusCode.Created or HttpStatusCode.OK))
        {
            throw new LogUnavailableException($"{Description} refused the entry: {(int)answer.Status} {answer.Status}{answer.Detail()}");
        }

        try
        {
            using var doc = JsonDocument.Parse(answer.Body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("the answer is not a JSON object");
            }

            return BundleJson.ReadEntry(doc.RootElement);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new LogVerificationException($"{Description} sent a malformed create answer: {e.Message}", e);
        }
    }

    /// <summary>
    /// The entry a 409 names (rekor-tiles: "an equivalent entry already exists in the
    /// transparency log with index N"), read from the tiles with a proof against the current
    /// checkpoint. Nothing is taken on the log's word: the ledger checks that the leaf commits
    /// to the envelope that was sent, like any create answer.
    /// </summary>
    private async Task<TlogEntry> ExistingAsync(HttpAnswer answer, CancellationToken cancellationToken)
    {
        if (DuplicateIndex.Find(answer.Body) is not long index)
        {
            throw new LogUnavailableException($"{Description} answered 409 Conflict without the index of the entry it holds{answer.Detail()}");
        }

        var note = await ReadCheckpointAsync(cancellationToken);
        Checkpoint checkpoint;
        try
        {
            checkpoint = Checkpoint.Parse(SignedNote.Parse(note).Text);
        }
        catch (FormatException e)
        {
            throw new LogUnavailableException($"{Description} served a malformed checkpoint: {e.Message}", e);
        }

        if (index >= checkpoint.Size)
        {
            throw new LogUnavailableException($"{Description} names entry {index} as the duplicate, beyond its checkpoint of size {checkpoint.Size}");
        }

        var bundle = index / TileMath.TileWidth;
        var leaves = await ReadEntryBundleAsync(bundle, (int)Math.Min(TileMath.TileWidth, checkpoint.Size - (bundle * TileMath.TileWidth)), cancellationToken);
        var hashes = await Proofs().InclusionProofAsync(index, checkpoint.Size, cancellationToken);
        var proof = new InclusionProof(index, checkpoint.RootHash, checkpoint.Size, hashes, note);
        return (await RecordAsync(index, leaves[(int)(index % TileMath.TileWidth)], proof, cancellationToken)).Entry;
    }

    /// <summary>The checkpoint: the one small file a tiles log always serves.</summary>
    public Task CheckAsync(CancellationToken cancellationToken) => _http.ProbeAsync("checkpoint", cancellationToken);

    /// <summary>Rekor v2 has no search: sightings are found in the bundle store.</summary>
    public IAsyncEnumerable<LogRecord> SearchAsync(string reference, SignerMaterial signer, CancellationToken cancellationToken) =>
        AsyncEnumerable.Empty<LogRecord>();

    /// <summary>
    /// Every entry from <paramref name="startIndex"/> up to the current checkpoint, read from the
    /// tiles, each with an inclusion proof computed from the hash tiles against that checkpoint
    /// (nothing is verified here). Leaves cannot be filtered by key. A Rekor body keeps no
    /// envelope (a hashedrekord holds a hash), so those records have none; an embedded log's
    /// sighting leaf (a proxy serving its own log) has its envelope. This is a monitor's scan:
    /// it cannot rebuild a store, which needs envelopes; import a bundle export for that.
    /// </summary>
    public async IAsyncEnumerable<LogRecord> ReadFromAsync(long startIndex, IReadOnlyList<SignerMaterial> signers, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startIndex);
        var note = await ReadCheckpointAsync(cancellationToken);
        Checkpoint checkpoint;
        try
        {
            checkpoint = Checkpoint.Parse(SignedNote.Parse(note).Text);
        }
        catch (FormatException e)
        {
            throw new LogVerificationException($"{Description} served a malformed checkpoint: {e.Message}", e);
        }

        var proofs = Proofs();
        for (var bundle = startIndex / TileMath.TileWidth; bundle * TileMath.TileWidth < checkpoint.Size; bundle++)
        {
            var first = bundle * TileMath.TileWidth;
            var leaves = await ReadEntryBundleAsync(bundle, (int)Math.Min(TileMath.TileWidth, checkpoint.Size - first), cancellationToken);
            for (var i = (int)Math.Max(0, startIndex - first); i < leaves.Count; i++)
            {
                var index = first + i;
                var hashes = await proofs.InclusionProofAsync(index, checkpoint.Size, cancellationToken);
                var proof = new InclusionProof(index, checkpoint.RootHash, checkpoint.Size, hashes, note);
                yield return await RecordAsync(index, leaves[i], proof, cancellationToken);
            }
        }
    }

    /// <summary>The consistency proof from the tree of <paramref name="size1"/> to that of <paramref name="size2"/>, computed from hash tiles.</summary>
    public Task<IReadOnlyList<byte[]>> ConsistencyProofAsync(long size1, long size2, CancellationToken cancellationToken) =>
        Proofs().ConsistencyProofAsync(size1, size2, cancellationToken);

    /// <summary>
    /// A leaf as a log record: an embedded sighting leaf with its envelope (a dsse 0.0.1 leaf's
    /// from the record the log serves beside its tiles, when it has one), else a Rekor body by its kind.
    /// </summary>
    private async Task<LogRecord> RecordAsync(long index, byte[] leaf, InclusionProof proof, CancellationToken cancellationToken)
    {
        try
        {
            var (integrated, envelope) = EmbeddedEntry.Decode(leaf);
            var entry = new TlogEntry(index, _logId, EmbeddedEntry.Kind, EntryBody.SightingVersion, integrated, null, proof, leaf);
            return new LogRecord(entry, DsseEnvelope.Parse(envelope));
        }
        catch (FormatException)
        {
            // Not a sighting leaf of the earlier kind: a Rekor body, or something the verifier will name.
        }

        var (kind, version) = KindOf(leaf);
        if (DsseV001Body.EnvelopeHash(leaf) is { } hash)
        {
            var answer = await _http.GetAsync("envelopes/" + EnvelopeRecords.NameOf(hash), MaxEnvelopeRecordBytes, cancellationToken);
            if (answer.Status == HttpStatusCode.OK)
            {
                try
                {
                    // Only the envelope is taken: the time is the log's word, which only a SET could carry.
                    var envelope = EnvelopeRecords.Parse(answer.Body, hash).Envelope;
                    return new LogRecord(new TlogEntry(index, _logId, kind, version, 0, null, proof, leaf), DsseEnvelope.Parse(envelope));
                }
                catch (FormatException)
                {
                    // A record that does not hash to the leaf's envelopeHash is no record of it.
                }
            }
        }

        return new LogRecord(new TlogEntry(index, _logId, kind, version, 0, null, proof, leaf), null);
    }

    private static (string Kind, string Version) KindOf(byte[] leaf)
    {
        try
        {
            using var doc = JsonDocument.Parse(leaf);
            var root = doc.RootElement;
            return (root.GetProperty("kind").GetString() ?? "", root.GetProperty("apiVersion").GetString() ?? "");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return ("", "");
        }
    }

    /// <summary>The log's latest signed checkpoint, exactly as served (verify it before use).</summary>
    public async Task<string> ReadCheckpointAsync(CancellationToken cancellationToken)
    {
        var answer = await ReadAsync("checkpoint", MaxCheckpointBytes, cancellationToken);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(answer);
        }
        catch (DecoderFallbackException e)
        {
            throw new LogVerificationException($"{Description} served a checkpoint that is not UTF-8", e);
        }
    }

    /// <summary>The leaves of entry bundle <paramref name="index"/>, which holds <paramref name="width"/> of them.</summary>
    public async Task<IReadOnlyList<byte[]>> ReadEntryBundleAsync(long index, int width, CancellationToken cancellationToken)
    {
        var tile = new TileRef(0, index, width, IsEntries: true);
        var data = await ReadTileAsync(tile, TileMath.TileWidth * (2 + EntryBundle.MaxEntrySize), cancellationToken);
        IReadOnlyList<byte[]> entries;
        try
        {
            entries = EntryBundle.Decode(data);
        }
        catch (FormatException e)
        {
            throw new LogVerificationException($"{Description} served a malformed {tile.Path}: {e.Message}", e);
        }

        // A full bundle may stand in for the partial one asked for; it starts with the same entries.
        if (entries.Count == width || (entries.Count == TileMath.TileWidth && width < TileMath.TileWidth))
        {
            return entries.Take(width).ToList();
        }

        throw new LogVerificationException($"{Description} served {tile.Path} with {entries.Count} entries, not {width}");
    }

    /// <summary>Hash tile (<paramref name="level"/>, <paramref name="index"/>): <paramref name="width"/> node hashes, 32 bytes each.</summary>
    public async Task<byte[]> ReadHashTileAsync(int level, long index, int width, CancellationToken cancellationToken)
    {
        var tile = new TileRef(level, index, width, IsEntries: false);
        var data = await ReadTileAsync(tile, TileMath.TileWidth * Rfc6962.HashSize, cancellationToken);
        var expected = width * Rfc6962.HashSize;
        if (data.Length == expected || (data.Length == TileMath.TileWidth * Rfc6962.HashSize && width < TileMath.TileWidth))
        {
            return data[..expected];
        }

        throw new LogVerificationException($"{Description} served {tile.Path} with {data.Length} bytes, not {width} hashes");
    }

    /// <summary>
    /// The inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="treeSize"/>,
    /// computed here from hash tiles. Checked against a checkpoint's root it proves inclusion
    /// without relying on the proof a create answered with.
    /// </summary>
    public Task<IReadOnlyList<byte[]>> InclusionProofAsync(long index, long treeSize, CancellationToken cancellationToken) =>
        Proofs().InclusionProofAsync(index, treeSize, cancellationToken);

    /// <summary>Proofs from this log's hash tiles; each instance reads a tile at most once.</summary>
    private TileProofs Proofs() => new((tile, ct) => ReadHashTileAsync(tile.Level, tile.Index, tile.Width, ct));

    /// <summary>
    /// A tile, falling back from a partial tile to the full one: once a tile fills, a log may
    /// stop serving the partial versions, and the full tile begins with the same content.
    /// </summary>
    private async Task<byte[]> ReadTileAsync(TileRef tile, int maxBytes, CancellationToken cancellationToken)
    {
        var answer = await _http.GetAsync(tile.Path, maxBytes, cancellationToken);
        if (answer.Status == HttpStatusCode.NotFound && !tile.IsFull)
        {
            answer = await _http.GetAsync((tile with { Width = TileMath.TileWidth }).Path, maxBytes, cancellationToken);
        }

        return answer.Status == HttpStatusCode.OK
            ? answer.Body
            : throw new LogUnavailableException($"{Description} could not serve {tile.Path}: {(int)answer.Status} {answer.Status}");
    }

    private async Task<byte[]> ReadAsync(string path, int maxBytes, CancellationToken cancellationToken)
    {
        var answer = await _http.GetAsync(path, maxBytes, cancellationToken);
        return answer.Status == HttpStatusCode.OK
            ? answer.Body
            : throw new LogUnavailableException($"{Description} could not serve {path}: {(int)answer.Status} {answer.Status}");
    }
}
