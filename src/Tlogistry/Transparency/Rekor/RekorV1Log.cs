using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tlogistry.Http;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Signing;
using Tlogistry.Telemetry;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Transparency.Rekor;

/// <summary>
/// A Rekor v1 log (rekor.sigstore.dev and self-hosted instances) over its REST API. Sightings go
/// in as intoto v0.0.2 entries, so the statement can be read back from the log's attestation
/// storage; they are found again by the SHA-256 of the tag reference, which the statement
/// carries as a subject digest. Everything returned is unverified transport.
/// </summary>
internal sealed partial class RekorV1Log : ITransparencyLog, ICheckpointSource
{
    public const int RetrievePageSize = 10;

    /// <summary>Most entries a tag search reads.</summary>
    public const int MaxSearchResults = 1000;
    private const string EntriesPath = "api/v1/log/entries";
    private readonly RekorHttp _http;
    private readonly byte[] _logId;
    private readonly ILogger _logger;

    /// <param name="logId">SHA-256 of the log's DER public key, as the trusted root lists it for this URL.</param>
    public RekorV1Log(Uri baseUrl, byte[] logId, HttpClient http, JsonHttpOptions options, ILogger<RekorV1Log> logger)
    {
        ArgumentNullException.ThrowIfNull(logId);
        if (logId.Length != SHA256.HashSizeInBytes)
        {
            throw new ArgumentException("a Rekor v1 log ID is a SHA-256 hash", nameof(logId));
        }

        _http = new RekorHttp(baseUrl, http, options, logger);
        _logId = logId.ToArray();
        _logger = logger;
    }

    public string Description => $"rekor v1 ({_http.BaseUrl.AbsoluteUri.TrimEnd('/')})";

    public byte[] LogId => _logId.ToArray();

    public bool FindsLostPins => true;

    public async Task<TlogEntry> AppendAsync(DsseEnvelope envelope, SignerMaterial signer, CancellationToken cancellationToken)
    {
        var answer = await _http.PostJsonAsync(EntriesPath, RekorV1Requests.IntotoV002(envelope, signer), cancellationToken);
        switch (answer.Status)
        {
            case HttpStatusCode.Created:
                return Single(answer, "create").Record.Entry;
            case HttpStatusCode.Conflict:
                // An equal entry is already in (our earlier attempt, or a retried create): fetch it.
                var existing = await ExistingAsync(answer, envelope, cancellationToken);
                Log.AlreadyLogged(_logger, existing.Uuid, existing.Record.Entry.LogIndex);
                return existing.Record.Entry;
            default:
                throw new LogUnavailableException($"{Description} refused the entry: {(int)answer.Status} {answer.Status}{answer.Detail()}");
        }
    }

    /// <summary>The log info route: the cheapest read Rekor v1 has.</summary>
    public Task CheckAsync(CancellationToken cancellationToken) => _http.ProbeAsync("api/v1/log", cancellationToken);

    public async IAsyncEnumerable<LogRecord> SearchAsync(string reference, SignerMaterial signer, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var hash = RekorV1Requests.ReferenceHash(reference);
        var query = signer switch
        {
            { IsAnyKey: false } => RekorV1Requests.SearchByHashAndKey(hash, signer),
            { Identity: { Kind: Transparency.Sigstore.Identity.SanKind.Email } identity } => RekorV1Requests.SearchByHashAndEmail(hash, identity.Value),
            _ => RekorV1Requests.SearchByHash(hash),
        };
        var uuids = await IndexAsync(query, cancellationToken);
        if (uuids.Count > MaxSearchResults)
        {
            if (signer is { IsAnyKey: true, Identity.Kind: Transparency.Sigstore.Identity.SanKind.Uri })
            {
                // Rekor v1 cannot narrow a search to a URI SAN, and anyone can log entries under a
                // tag's hash: rather than let strangers block the tag, the store answers alone.
                Log.SearchSkipped(_logger, reference, uuids.Count, MaxSearchResults);
                yield break;
            }

            // Past this many, fail closed rather than fetch them all: only our own key or e-mail could have logged them.
            throw new LogUnavailableException($"{Description} search for {reference} found {uuids.Count} entries, more than the {MaxSearchResults} this proxy will read");
        }

        await foreach (var entry in RetrieveAsync(uuids, cancellationToken))
        {
            yield return entry.Record;
        }
    }

    /// <summary>
    /// The entries of every one of <paramref name="signers"/> from <paramref name="startIndex"/> on,
    /// in index order: one index search per key, so the keys before a rotation are covered too.
    /// The index search is best effort on the public instance (outside its availability
    /// promise), so a rebuild from it may be incomplete; the bundle store is the primary record.
    /// </summary>
    public async IAsyncEnumerable<LogRecord> ReadFromAsync(long startIndex, IReadOnlyList<SignerMaterial> signers, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signers);
        if (signers.Count == 0 || signers.Any(s => s.IsAnyKey))
        {
            throw new LogUnavailableException($"{Description} lists entries by key only, and keyless keys are ephemeral: read keyless sightings from a bundle export");
        }

        var uuids = new List<string>();
        foreach (var signer in signers)
        {
            uuids.AddRange(await IndexAsync(RekorV1Requests.SearchByKey(signer), cancellationToken));
        }

        var found = new List<LogRecord>();
        await foreach (var entry in RetrieveAsync(uuids, cancellationToken))
        {
            if (entry.Record.Entry.LogIndex >= startIndex)
            {
                found.Add(entry.Record);
            }
        }

        foreach (var record in found.OrderBy(r => r.Entry.LogIndex))
        {
            yield return record;
        }
    }

    /// <summary>The signed tree head of the log's active shard, from <c>GET /api/v1/log</c>, exactly as served.</summary>
    public async Task<string> ReadCheckpointAsync(CancellationToken cancellationToken)
    {
        var answer = await _http.GetAsync("api/v1/log", _http.MaxResponseBytes, cancellationToken);
        if (answer.Status != HttpStatusCode.OK)
        {
            throw new LogUnavailableException($"{Description} could not tell its state: {(int)answer.Status} {answer.Status}{answer.Detail()}");
        }

        return Parsed(() => RekorV1Entries.ReadSignedTreeHead(answer.Body), "log info");
    }

    /// <summary>The consistency proof between two sizes of the active shard, from <c>GET /api/v1/log/proof</c>.</summary>
    public async Task<IReadOnlyList<byte[]>> ConsistencyProofAsync(long size1, long size2, CancellationToken cancellationToken)
    {
        var query = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"api/v1/log/proof?firstSize={size1}&lastSize={size2}");
        var answer = await _http.GetAsync(query, _http.MaxResponseBytes, cancellationToken);
        if (answer.Status != HttpStatusCode.OK)
        {
            throw new LogUnavailableException($"{Description} gave no consistency proof from size {size1} to {size2}: {(int)answer.Status} {answer.Status}{answer.Detail()}");
        }

        return Parsed(() => RekorV1Entries.ReadProofHashes(answer.Body), "consistency proof");
    }

    /// <summary>One entry by UUID, as <c>GET /api/v1/log/entries/{uuid}</c> answers it.</summary>
    public async Task<RekorV1Entry> GetAsync(string uuid, CancellationToken cancellationToken)
    {
        if (!RekorV1Entries.IsUuid(uuid))
        {
            throw new ArgumentException($"'{uuid}' is not an entry UUID", nameof(uuid));
        }

        var answer = await _http.GetAsync(EntriesPath + "/" + uuid, _http.MaxResponseBytes, cancellationToken);
        if (answer.Status != HttpStatusCode.OK)
        {
            throw new LogUnavailableException($"{Description} has no entry {uuid}: {(int)answer.Status} {answer.Status}{answer.Detail()}");
        }

        var entry = Single(answer, "get");
        return entry.Uuid.EndsWith(uuid[^64..], StringComparison.OrdinalIgnoreCase)
            ? entry
            : throw new LogVerificationException($"{Description} answered for {uuid} with entry {entry.Uuid}");
    }

    /// <summary>
    /// The entry a 409 refers to: by the Location it names when there is one (only its UUID is
    /// used, so the fetch stays on this log), else by searching for the payload hash, which
    /// intoto entries are indexed under, and picking the entry for this exact payload.
    /// </summary>
    private async Task<RekorV1Entry> ExistingAsync(HttpAnswer conflict, DsseEnvelope envelope, CancellationToken cancellationToken)
    {
        var location = conflict.Location?.OriginalString ?? "";
        var uuid = location[(location.LastIndexOf('/') + 1)..];
        if (RekorV1Entries.IsUuid(uuid))
        {
            return await GetAsync(uuid, cancellationToken);
        }

        var payloadHash = SHA256.HashData(envelope.Payload);
        var uuids = await IndexAsync(RekorV1Requests.SearchByHash(payloadHash), cancellationToken);
        await foreach (var entry in RetrieveAsync(uuids, cancellationToken))
        {
            if (HasPayloadHash(entry.Record.Entry, payloadHash))
            {
                return entry;
            }
        }

        throw new LogUnavailableException($"{Description} reported the entry as already logged but did not say where, and a search did not find it");
    }

    private static bool HasPayloadHash(TlogEntry entry, byte[] payloadHash)
    {
        if (entry.Kind != "intoto")
        {
            return false;
        }

        try
        {
            using var body = JsonDocument.Parse(entry.CanonicalizedBody);
            var value = body.RootElement.GetProperty("spec").GetProperty("content").GetProperty("payloadHash").GetProperty("value").GetString();
            return string.Equals(value, Convert.ToHexStringLower(payloadHash), StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    private async Task<IReadOnlyList<string>> IndexAsync(byte[] query, CancellationToken cancellationToken)
    {
        var answer = await _http.PostJsonAsync("api/v1/index/retrieve", query, cancellationToken);
        if (answer.Status != HttpStatusCode.OK)
        {
            throw new LogUnavailableException($"{Description} index search failed: {(int)answer.Status} {answer.Status}{answer.Detail()}");
        }

        return Parsed(() => RekorV1Entries.ReadUuids(answer.Body), "index search").Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Entries by UUID, in calls of at most <see cref="RetrievePageSize"/>, each entry once.</summary>
    private async IAsyncEnumerable<RekorV1Entry> RetrieveAsync(IReadOnlyList<string> uuids, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var page in uuids.Chunk(RetrievePageSize))
        {
            var answer = await _http.PostJsonAsync(EntriesPath + "/retrieve", RekorV1Requests.Retrieve(page), cancellationToken);
            if (answer.Status != HttpStatusCode.OK)
            {
                throw new LogUnavailableException($"{Description} retrieve failed: {(int)answer.Status} {answer.Status}{answer.Detail()}");
            }

            foreach (var entry in Parsed(() => RekorV1Entries.ReadRetrieved(answer.Body), "retrieve"))
            {
                // The leaf hash identifies an entry; the 16-hex tree prefix may or may not be present.
                if (seen.Add(entry.Uuid[^64..]))
                {
                    yield return entry;
                }
            }
        }
    }

    private RekorV1Entry Single(HttpAnswer answer, string what)
    {
        var entries = Parsed(() => RekorV1Entries.ReadLogEntry(answer.Body), what);
        return entries.Count == 1
            ? entries[0]
            : throw new LogVerificationException($"{Description} answered a {what} with {entries.Count} entries, not one");
    }

    /// <summary>
    /// Reads a successful answer. One that cannot be read, or that says what was not asked, is a
    /// lie or a fault of the log, never an outage: only failures to answer are (see RekorHttp).
    /// </summary>
    private T Parsed<T>(Func<T> read, string what)
    {
        try
        {
            return read();
        }
        catch (FormatException e)
        {
            throw new LogVerificationException($"{Description} sent a malformed {what} answer: {e.Message}", e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Transparency.RekorAlreadyLogged, Level = LogLevel.Information, Message = "the log already held this entry ({Uuid}, index {Index}); using it")]
        public static partial void AlreadyLogged(ILogger logger, string uuid, long index);

        [LoggerMessage(EventId = EventIds.Transparency.RekorSearchSkipped, Level = LogLevel.Warning, Message = "the log holds {Count} entries under the hash of {Reference}, more than the {Max} read, and cannot narrow them to a URI identity; the store's answer stands alone for this tag")]
        public static partial void SearchSkipped(ILogger logger, string reference, int count, int max);
    }
}
