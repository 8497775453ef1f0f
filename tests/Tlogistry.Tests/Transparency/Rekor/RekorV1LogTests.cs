using Tlogistry.Transparency.Sigstore.Identity;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Rekor;

namespace Tlogistry.Tests.Transparency.Rekor;

public sealed class RekorV1LogTests : IAsyncLifetime
{
    private const string FixtureUuid = "24296fb24b8ad77a27dbac48342e32d86ca2e056106ff7e94cd4a6ed2a12de00b7ffc57fc2f2c2e4";
    private static readonly byte[] LogId = Convert.FromHexString("c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d");
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private ScriptedRekor _rekor = null!;

    public async ValueTask InitializeAsync() => _rekor = await ScriptedRekor.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _rekor.DisposeAsync();
        _key.Dispose();
    }

    [Fact]
    public async Task CreateSendsAnIntotoV002EntryAndReadsTheRealAnswer()
    {
        var (uuid, answer) = FixtureAnswer();
        _rekor.Handler = (c, r) =>
        {
            c.Response.Headers.Location = "/api/v1/log/entries/" + uuid;
            return ScriptedRekor.Json(c, 201, answer);
        };
        var (envelope, signer) = Sign("{\"_type\":\"https://in-toto.io/Statement/v1\"}");

        var entry = await _rekor.V1(LogId).AppendAsync(envelope, signer, TestContext.Current.CancellationToken);

        var request = Assert.Single(_rekor.Requests);
        Assert.Equal(("POST", "/api/v1/log/entries"), (request.Method, request.Path));
        Assert.StartsWith("application/json", request.ContentType, StringComparison.Ordinal);
        var sent = JsonNode.Parse(request.Body)!;
        Assert.Equal("intoto", (string?)sent["kind"]);
        Assert.Equal("0.0.2", (string?)sent["apiVersion"]);
        var env = sent["spec"]!["content"]!["envelope"]!;
        Assert.Equal(Dsse.InTotoPayloadType, (string?)env["payloadType"]);

        // Rekor's v0.0.2 types carry the envelope's base64 text as bytes, so both are base64 twice.
        Assert.Equal(Convert.ToBase64String(envelope.Payload), Encoding.ASCII.GetString(Convert.FromBase64String((string)env["payload"]!)));
        var sig = Assert.Single(env["signatures"]!.AsArray())!;
        Assert.Equal(Convert.ToBase64String(envelope.Signatures[0].Signature), Encoding.ASCII.GetString(Convert.FromBase64String((string)sig["sig"]!)));
        Assert.Equal(signer.PublicKeyPem + "\n", Encoding.ASCII.GetString(Convert.FromBase64String((string)sig["publicKey"]!)));

        var fixture = JsonNode.Parse(File.ReadAllText(Fixtures.Require("sigstore", "rekor-v1-intoto-v001-logentry.json")))!;
        Assert.Equal(16028007, entry.LogIndex);
        Assert.Equal(LogId, entry.LogId);
        Assert.Equal(("intoto", "0.0.1"), (entry.Kind, entry.Version));
        Assert.Equal(1679479591, entry.IntegratedTime);
        Assert.Equal(Convert.FromBase64String((string)fixture["verification"]!["signedEntryTimestamp"]!), entry.SignedEntryTimestamp);
        Assert.Equal(Convert.FromBase64String((string)fixture["body"]!), entry.CanonicalizedBody);
        var proof = entry.InclusionProof!;
        Assert.Equal((11864576L, 11956977L), (proof.LogIndex, proof.TreeSize));
        Assert.Equal(22, proof.Hashes.Count);
        Assert.Equal(Convert.FromHexString("3f1221ed0d7c405db61b0ad3b7f661c69bfe78edf04f9cc9308157280cc078f3"), proof.Hashes[0]);
        Assert.Equal(Convert.FromHexString((string)fixture["verification"]!["inclusionProof"]!["rootHash"]!), proof.RootHash);
        Assert.Equal(File.ReadAllText(Fixtures.Require("sigstore", "rekor-v1-intoto-v001-checkpoint.txt")), proof.Checkpoint);
    }

    [Fact]
    public async Task ConflictFetchesTheExistingEntryFromTheLocation()
    {
        var (uuid, answer) = FixtureAnswer();
        _rekor.Handler = (c, r) =>
        {
            if (r.Method == "POST")
            {
                c.Response.Headers.Location = _rekor.BaseUri + "api/v1/log/entries/" + uuid;
                return ScriptedRekor.Json(c, 409, "{\"code\":409,\"message\":\"an equivalent entry already exists in the transparency log with UUID " + uuid + "\"}");
            }

            return r.Path == "/api/v1/log/entries/" + uuid ? ScriptedRekor.Json(c, 200, answer) : ScriptedRekor.Json(c, 404, "{}");
        };
        var (envelope, signer) = Sign("{}");

        var entry = await _rekor.V1(LogId).AppendAsync(envelope, signer, TestContext.Current.CancellationToken);

        Assert.Equal(16028007, entry.LogIndex);
        Assert.Equal(["POST /api/v1/log/entries", "GET /api/v1/log/entries/" + uuid], _rekor.Requests.Select(r => r.Method + " " + r.Path));
    }

    [Fact]
    public async Task ConflictWithoutLocationFindsTheEntryByPayloadHash()
    {
        var (envelope, signer) = Sign("{\"sighting\":1}");
        var payloadHash = Convert.ToHexStringLower(SHA256.HashData(envelope.Payload));
        var (uuid, json) = Synthetic(42, IntotoV002Body(envelope, payloadHash), envelope.Payload);
        var (otherUuid, otherJson) = Synthetic(43, IntotoV002Body(envelope, new string('0', 64)), null);
        _rekor.Handler = (c, r) => r.Path switch
        {
            "/api/v1/log/entries" => ScriptedRekor.Json(c, 409, "{\"code\":409,\"message\":\"exists\"}"),
            "/api/v1/index/retrieve" => ScriptedRekor.Json(c, 200, $"[\"{otherUuid}\",\"{uuid}\"]"),
            "/api/v1/log/entries/retrieve" => ScriptedRekor.Json(c, 200, $"[{otherJson},{json}]"),
            _ => ScriptedRekor.Json(c, 404, "{}"),
        };

        var entry = await _rekor.V1(LogId).AppendAsync(envelope, signer, TestContext.Current.CancellationToken);

        Assert.Equal(42, entry.LogIndex);
        var search = _rekor.Requests.Single(r => r.Path == "/api/v1/index/retrieve");
        Assert.Equal("sha256:" + payloadHash, (string?)JsonNode.Parse(search.Body)!["hash"]);
    }

    [Fact]
    public async Task SearchSendsTheReferenceHashAndRetrievesInPagesOfTen()
    {
        const string reference = "index.docker.io/library/alpine:3.16.0";
        var (envelope, _) = Sign("{\"tag\":\"alpine\"}");
        var entries = new Dictionary<string, string>();
        for (var i = 0; i < 22; i++)
        {
            var (u, j) = Synthetic(1000 + i, IntotoV002Body(envelope, Convert.ToHexStringLower(SHA256.HashData(envelope.Payload)), salt: i), envelope.Payload);
            entries[u] = j;
        }

        var (fixtureUuid, fixtureAnswer) = FixtureAnswer();
        entries[fixtureUuid] = fixtureAnswer;
        _rekor.Handler = (c, r) =>
        {
            if (r.Path == "/api/v1/index/retrieve")
            {
                return ScriptedRekor.Json(c, 200, JsonSerializer.Serialize(entries.Keys.ToArray()));
            }

            var asked = JsonNode.Parse(r.Body)!["entryUUIDs"]!.AsArray().Select(n => (string)n!).ToList();
            return asked.Count is < 1 or > 10
                ? ScriptedRekor.Json(c, 422, "{\"code\":422,\"message\":\"entryUUIDs must hold 1 to 10 items\"}")
                : ScriptedRekor.Json(c, 200, "[" + string.Join(",", asked.Select(u => entries[u])) + "]");
        };

        var found = await _rekor.V1(LogId).SearchAsync(reference, SignerMaterial.ForKey(_key.ExportSubjectPublicKeyInfo()), TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        var search = _rekor.Requests.First();
        Assert.Equal("/api/v1/index/retrieve", search.Path);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(reference))), (string?)JsonNode.Parse(search.Body)!["hash"]);

        // In key mode the log filters by key too, so strangers' entries under the hash are never fetched.
        Assert.Equal("and", (string?)JsonNode.Parse(search.Body)!["operator"]);
        Assert.Equal("x509", (string?)JsonNode.Parse(search.Body)!["publicKey"]!["format"]);
        var pages = _rekor.Requests.Where(r => r.Path == "/api/v1/log/entries/retrieve").Select(r => JsonNode.Parse(r.Body)!["entryUUIDs"]!.AsArray().Count).ToList();
        Assert.Equal([10, 10, 3], pages);
        Assert.Equal(23, found.Count);

        // intoto v0.0.2: the envelope is rebuilt from the body's signatures and the stored payload.
        var rebuilt = found.Single(f => f.Entry.LogIndex == 1000).Envelope!;
        Assert.Equal(envelope.Payload, rebuilt.Payload);
        Assert.Equal(envelope.Signatures[0].Signature, rebuilt.Signatures[0].Signature);
        Assert.Equal(envelope.PayloadType, rebuilt.PayloadType);

        // intoto v0.0.1 keeps no signature, and its attestation is the bare statement: an
        // unsigned envelope around it, which only the entry's SET vouches for.
        var legacy = found.Single(f => f.Entry.LogIndex == 16028007).Envelope!;
        Assert.Empty(legacy.Signatures);
        Assert.Contains("https://in-toto.io/Statement/v0.1", System.Text.Encoding.UTF8.GetString(legacy.Payload), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadFromSearchesByKeyAndYieldsFromTheStartInIndexOrder()
    {
        var (envelope, signer) = Sign("{}");
        var all = new[] { 7L, 3L, 12L, 5L }.Select(i => Synthetic(i, IntotoV002Body(envelope, new string('a', 64), salt: (int)i), null)).ToList();
        _rekor.Handler = (c, r) => r.Path == "/api/v1/index/retrieve"
            ? ScriptedRekor.Json(c, 200, JsonSerializer.Serialize(all.Select(a => a.Uuid).ToArray()))
            : ScriptedRekor.Json(c, 200, "[" + string.Join(",", all.Select(a => a.Json)) + "]");

        var found = await _rekor.V1(LogId).ReadFromAsync(5, [signer], TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        Assert.Equal([5L, 7L, 12L], found.Select(f => f.Entry.LogIndex));
        var query = JsonNode.Parse(_rekor.Requests.First().Body)!["publicKey"]!;
        Assert.Equal("x509", (string?)query["format"]);
        Assert.Equal(signer.PublicKeyPem, Encoding.ASCII.GetString(Convert.FromBase64String((string)query["content"]!)));
    }

    [Fact]
    public async Task AnEntryWhoseUuidDoesNotNameItsBodyIsRefusedWhole()
    {
        var (_, answer) = FixtureAnswer();
        var wrong = answer.Replace(FixtureUuid, "24296fb24b8ad77a" + new string('1', 64), StringComparison.Ordinal);
        _rekor.Handler = (c, r) => ScriptedRekor.Json(c, 201, wrong);
        var (envelope, signer) = Sign("{}");

        var e = await Assert.ThrowsAsync<LogVerificationException>(() => _rekor.V1(LogId).AppendAsync(envelope, signer, TestContext.Current.CancellationToken));
        Assert.Contains("malformed", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"x\":1}")]
    [InlineData("[]")]
    [InlineData("not json")]
    public async Task MalformedCreateAnswersAreRefusedAsUnverified(string answer)
    {
        _rekor.Handler = (c, r) => ScriptedRekor.Json(c, 201, answer);
        var (envelope, signer) = Sign("{}");
        await Assert.ThrowsAsync<LogVerificationException>(() => _rekor.V1(LogId).AppendAsync(envelope, signer, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ServerErrorsAreRetriedUntilTheCreateSucceeds()
    {
        var (_, answer) = FixtureAnswer();
        var calls = 0;
        _rekor.Handler = (c, r) => ++calls <= 2 ? ScriptedRekor.Json(c, 500, "{\"code\":500}") : ScriptedRekor.Json(c, 201, answer);
        var (envelope, signer) = Sign("{}");

        var entry = await _rekor.V1(LogId).AppendAsync(envelope, signer, TestContext.Current.CancellationToken);

        Assert.Equal(16028007, entry.LogIndex);
        Assert.Equal(3, _rekor.Requests.Count);
    }

    [Fact]
    public async Task PersistentServerErrorsMakeTheLogUnavailable()
    {
        _rekor.Handler = (c, r) => ScriptedRekor.Json(c, 500, "{\"code\":500,\"message\":\"trillian down\"}");
        var (envelope, signer) = Sign("{}");

        var e = await Assert.ThrowsAsync<LogUnavailableException>(() => _rekor.V1(LogId).AppendAsync(envelope, signer, TestContext.Current.CancellationToken));

        Assert.Equal(3, _rekor.Requests.Count);
        Assert.Contains(_rekor.BaseUri + "api/v1/log/entries", e.Message, StringComparison.Ordinal);
        Assert.Contains("500", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TooManyRequestsIsRetriedAfterTheDelayTheLogAsks()
    {
        var (_, answer) = FixtureAnswer();
        var calls = 0;
        _rekor.Handler = (c, r) =>
        {
            if (++calls == 1)
            {
                c.Response.Headers.RetryAfter = "1";
                return ScriptedRekor.Json(c, 429, "{}");
            }

            return ScriptedRekor.Json(c, 201, answer);
        };
        var (envelope, signer) = Sign("{}");
        var started = DateTime.UtcNow;

        await _rekor.V1(LogId).AppendAsync(envelope, signer, TestContext.Current.CancellationToken);

        Assert.Equal(2, _rekor.Requests.Count);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(900));
    }

    [Fact]
    public async Task ClientErrorsAreNotRetried()
    {
        _rekor.Handler = (c, r) => ScriptedRekor.Json(c, 400, "{\"code\":400,\"message\":\"invalid signature\"}");
        var (envelope, signer) = Sign("{}");

        var e = await Assert.ThrowsAsync<LogUnavailableException>(() => _rekor.V1(LogId).AppendAsync(envelope, signer, TestContext.Current.CancellationToken));

        Assert.Single(_rekor.Requests);
        Assert.Contains("invalid signature", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ALogThatHangsIsUnavailableAfterTheTimeout()
    {
        _rekor.Handler = async (c, r) => await Task.Delay(TimeSpan.FromSeconds(30), c.RequestAborted);
        var options = ScriptedRekor.FastOptions;
        options.RequestTimeout = TimeSpan.FromSeconds(1);
        options.MaxAttempts = 2;
        var (envelope, signer) = Sign("{}");

        var e = await Assert.ThrowsAsync<LogUnavailableException>(() => _rekor.V1(LogId, options).AppendAsync(envelope, signer, TestContext.Current.CancellationToken));

        Assert.Equal(2, _rekor.Arrivals);
        Assert.Contains("did not answer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreachableLogIsUnavailable()
    {
        var baseUri = _rekor.BaseUri;
        await _rekor.DisposeAsync();
        _rekor = await ScriptedRekor.StartAsync();
        var log = new RekorV1Log(baseUri, LogId, new HttpClient(), ScriptedRekor.FastOptions, Microsoft.Extensions.Logging.Abstractions.NullLogger<RekorV1Log>.Instance);
        var (envelope, signer) = Sign("{}");

        var e = await Assert.ThrowsAsync<LogUnavailableException>(() => log.AppendAsync(envelope, signer, TestContext.Current.CancellationToken));
        Assert.Contains(baseUri.Authority, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DescriptionAndLogId()
    {
        var log = _rekor.V1(LogId);
        Assert.Equal($"rekor v1 ({_rekor.BaseUri.AbsoluteUri.TrimEnd('/')})", log.Description);
        Assert.Equal(LogId, log.LogId);
    }

    /// <summary>The real GET answer, back in the REST shape: the dump's "uuid" member is the key.</summary>
    private static (string Uuid, string Json) FixtureAnswer()
    {
        var entry = JsonNode.Parse(File.ReadAllText(Fixtures.Require("sigstore", "rekor-v1-intoto-v001-logentry.json")))!.AsObject();
        var uuid = (string)entry["uuid"]!;
        Assert.Equal(FixtureUuid, uuid);
        entry.Remove("uuid");
        return (uuid, new JsonObject { [uuid] = entry }.ToJsonString());
    }

    /// <summary>A well-formed REST entry around <paramref name="body"/>, its UUID the body's leaf hash.</summary>
    private static (string Uuid, string Json) Synthetic(long index, string body, byte[]? attestation)
    {
        var bodyBytes = Encoding.UTF8.GetBytes(body);
        var uuid = "24296fb24b8ad77a" + Convert.ToHexStringLower(Rfc6962.LeafHash(bodyBytes));
        var entry = new JsonObject
        {
            ["body"] = Convert.ToBase64String(bodyBytes),
            ["integratedTime"] = 1700000000 + index,
            ["logID"] = Convert.ToHexStringLower(LogId),
            ["logIndex"] = index,
            ["verification"] = new JsonObject
            {
                ["inclusionProof"] = new JsonObject
                {
                    ["checkpoint"] = "rekor.local - 1\n" + (index + 1) + "\nAAAA\n\n— rekor.local AAAA\n",
                    ["hashes"] = new JsonArray(new string('b', 64)),
                    ["logIndex"] = index,
                    ["rootHash"] = new string('c', 64),
                    ["treeSize"] = index + 1,
                },
                ["signedEntryTimestamp"] = Convert.ToBase64String([1, 2, 3]),
            },
        };
        if (attestation is not null)
        {
            entry["attestation"] = new JsonObject { ["data"] = Convert.ToBase64String(attestation) };
        }

        return (uuid, new JsonObject { [uuid] = entry }.ToJsonString());
    }

    /// <summary>An intoto v0.0.2 canonical body as Rekor stores it: envelope without payload, sigs base64 twice.</summary>
    private static string IntotoV002Body(DsseEnvelope envelope, string payloadHash, int salt = 0)
    {
        var sig = Convert.ToBase64String(Encoding.ASCII.GetBytes(Convert.ToBase64String(envelope.Signatures[0].Signature)));
        return "{\"apiVersion\":\"0.0.2\",\"kind\":\"intoto\",\"spec\":{\"content\":{\"envelope\":{\"payloadType\":\"" + envelope.PayloadType
            + "\",\"signatures\":[{\"publicKey\":\"UEVN\",\"sig\":\"" + sig + "\"}]},\"hash\":{\"algorithm\":\"sha256\",\"value\":\"" + salt.ToString("x64", System.Globalization.CultureInfo.InvariantCulture)
            + "\"},\"payloadHash\":{\"algorithm\":\"sha256\",\"value\":\"" + payloadHash + "\"}}}}";
    }

    private (DsseEnvelope Envelope, SignerMaterial Signer) Sign(string statement)
    {
        var payload = Encoding.UTF8.GetBytes(statement);
        var signature = _key.SignData(Dsse.Pae(Dsse.InTotoPayloadType, payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return (new DsseEnvelope(Dsse.InTotoPayloadType, payload, [new DsseSignature("", signature)]), SignerMaterial.ForKey(_key.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public async Task ASearchByAnyoneStopsAtItsBoundInsteadOfFetchingEveryStrangersEntry()
    {
        var uuids = Enumerable.Range(0, RekorV1Log.MaxSearchResults + 1).Select(i => Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i)))).ToArray();
        _rekor.Handler = (c, r) => ScriptedRekor.Json(c, 200, JsonSerializer.Serialize(uuids));

        var e = await Assert.ThrowsAsync<LogUnavailableException>(async () =>
            await _rekor.V1(LogId).SearchAsync("docker.io/library/nginx:latest", SignerMaterial.AnyKey, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken));

        Assert.Contains("more than the 1000", e.Message, StringComparison.Ordinal);
        var search = Assert.Single(_rekor.Requests);
        Assert.Null(JsonNode.Parse(search.Body)!["publicKey"]);
    }

    [Fact]
    public async Task AKeylessEmailIdentitySearchAsksTheLogForThatEmailAndHashTogether()
    {
        _rekor.Handler = (c, r) => ScriptedRekor.Json(c, 200, "[]");

        var found = await _rekor.V1(LogId).SearchAsync("docker.io/library/nginx:latest", SignerMaterial.AnyKeyFor(new CertificateIdentity(SanKind.Email, "sa@p.iam.gserviceaccount.com")), TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        Assert.Empty(found);
        var query = JsonNode.Parse(Assert.Single(_rekor.Requests).Body)!;
        Assert.Equal("sa@p.iam.gserviceaccount.com", (string?)query["email"]);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData("docker.io/library/nginx:latest"u8)), (string?)query["hash"]);
        Assert.Equal("and", (string?)query["operator"]);
        Assert.Null(query["publicKey"]);
    }

    [Fact]
    public async Task AKeylessUriIdentitySearchPastItsBoundReadsNothingAndLeavesTheStoreToAnswer()
    {
        var uuids = Enumerable.Range(0, RekorV1Log.MaxSearchResults + 1).Select(i => Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i)))).ToArray();
        _rekor.Handler = (c, r) => ScriptedRekor.Json(c, 200, JsonSerializer.Serialize(uuids));
        var workflow = new CertificateIdentity(SanKind.Uri, "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main");

        var found = await _rekor.V1(LogId).SearchAsync("docker.io/library/nginx:latest", SignerMaterial.AnyKeyFor(workflow), TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        // Rekor has no search field for a URI SAN: strangers could fill the hash, so nothing is fetched and nothing fails.
        Assert.Empty(found);
        var search = Assert.Single(_rekor.Requests);
        Assert.Null(JsonNode.Parse(search.Body)!["email"]);
    }
}
