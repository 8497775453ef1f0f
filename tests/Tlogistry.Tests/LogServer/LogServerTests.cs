// Each request here finishes in milliseconds against a loopback server the test owns.
#pragma warning disable xUnit1051

using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Org.BouncyCastle.Math.EC.Rfc8032;
using Tlogistry.LogServer;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Rekor;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Tiles;

namespace Tlogistry.Tests.LogServer;

public sealed class LogServerTests
{
    private static readonly byte[] Digest = SHA256.HashData("artifact"u8);

    [Fact]
    public async Task WithAWriterKeyOnlyThatKeyAppendsAndAnyOtherGets403WithNothingAppended()
    {
        using var dir = new TempDirectory();
        using var allowed = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyFile = dir.Combine("writer.pem");
        await File.WriteAllTextAsync(keyFile, LogServerClient.Pem(allowed));
        await using var server = await LogServerClient.StartAsync(dir.Combine("data"), WriterPolicy.FromPemFiles([keyFile]));

        var refused = await server.PostAsync("api/v2/log/entries", LogServerClient.HashedRekordRequest(stranger, Digest));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var error = await server.JsonAsync(refused);
        Assert.Equal(403, error.GetProperty("code").GetInt32());
        Assert.Contains("not signed by a key this log accepts", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var refusedV1 = await server.PostAsync("api/v1/log/entries", LogServerClient.IntotoRequest(stranger, LogServerClient.Statement("ghcr.io/org/app:v1")));
        Assert.Equal(HttpStatusCode.Forbidden, refusedV1.StatusCode);
        Assert.Equal(0, ReadSize(dir.Combine("data")));

        var accepted = await server.PostAsync("api/v2/log/entries", LogServerClient.HashedRekordRequest(allowed, Digest));
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        Assert.Equal(0, BundleJson.ReadEntry(await server.JsonAsync(accepted)).LogIndex);
        var acceptedV1 = await server.PostAsync("api/v1/log/entries", LogServerClient.IntotoRequest(allowed, LogServerClient.Statement("ghcr.io/org/app:v1")));
        Assert.Equal(HttpStatusCode.Created, acceptedV1.StatusCode);
        Assert.Equal(2, ReadSize(dir.Combine("data")));
    }

    /// <summary>The served log's size, from its checkpoint file.</summary>
    private static long ReadSize(string dataDir) =>
        Checkpoint.Parse(SignedNote.Parse(File.ReadAllText(Path.Combine(dataDir, "log", "checkpoint"))).Text).Size;

    [Fact]
    public async Task V2CreateAnswersAnEntryWhoseProofVerifiesAndDedupes()
    {
        using var dir = new TempDirectory();
        await using var server = await LogServerClient.StartAsync(dir.Path);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var response = await server.PostAsync("api/v2/log/entries", LogServerClient.HashedRekordRequest(key, Digest));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var entry = BundleJson.ReadEntry(await server.JsonAsync(response));

        Assert.Equal(("hashedrekord", "0.0.2", 0L, 0L), (entry.Kind, entry.Version, entry.LogIndex, entry.IntegratedTime));
        var verifier = LogKey.LoadOrCreate(dir.Combine("log", "log-key")).Verifier;
        Assert.Equal(LogKey.Describe(LogKey.LoadOrCreate(dir.Combine("log", "log-key")), "").LogId, entry.LogId);
        var proof = entry.InclusionProof!;
        var checkpoint = Checkpoint.Parse(NoteOpener.Open(proof.Checkpoint, [verifier]).Text);
        MerkleProof.VerifyInclusion(entry.LogIndex, checkpoint.Size, Rfc6962.LeafHash(entry.CanonicalizedBody), proof.Hashes, checkpoint.RootHash);

        using var body = JsonDocument.Parse(entry.CanonicalizedBody);
        var hr = body.RootElement.GetProperty("spec").GetProperty("hashedRekordV002");
        var sig = Convert.FromBase64String(hr.GetProperty("signature").GetProperty("content").GetString()!);
        Assert.Equal(HashedRekordV002.Body(Digest, sig, "publicKey", key.ExportSubjectPublicKeyInfo()), entry.CanonicalizedBody);

        // The identical entry again: the same leaf, not a second one.
        var again = await server.PostAsync("api/v2/log/entries", LogServerClient.HashedRekordRequest(key, Digest, sig));
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(0, BundleJson.ReadEntry(await server.JsonAsync(again)).LogIndex);

        var other = await server.PostAsync("api/v2/log/entries", LogServerClient.HashedRekordRequest(key, SHA256.HashData("other"u8)));
        Assert.Equal(1, BundleJson.ReadEntry(await server.JsonAsync(other)).LogIndex);

        var bad = await server.PostAsync("api/v2/log/entries", LogServerClient.HashedRekordRequest(key, Digest, key.SignHash(SHA256.HashData("x"u8), DSASignatureFormat.Rfc3279DerSequence)));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("signature", (await server.JsonAsync(bad)).GetProperty("message").GetString(), StringComparison.Ordinal);

        var dsse = await server.PostAsync("api/v2/log/entries", """{"dsseRequestV002":{"envelope":{},"verifiers":[]}}""");
        Assert.Equal(HttpStatusCode.BadRequest, dsse.StatusCode);
        Assert.Contains("dsseRequestV002", (await server.JsonAsync(dsse)).GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TilesServedEqualTheFilesAndRecomputeTheRoot()
    {
        using var dir = new TempDirectory();
        await using var server = await LogServerClient.StartAsync(dir.Path);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        for (var i = 0; i < 3; i++)
        {
            var r = await server.PostAsync("api/v2/log/entries", LogServerClient.HashedRekordRequest(key, SHA256.HashData(BitConverter.GetBytes(i))));
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }

        var note = await server.Http.GetStringAsync(new Uri("checkpoint", UriKind.Relative));
        Assert.Equal(await File.ReadAllTextAsync(dir.Combine("log", "checkpoint")), note);
        var checkpoint = Checkpoint.Parse(NoteOpener.Open(note, [LogKey.LoadOrCreate(dir.Combine("log", "log-key")).Verifier]).Text);
        Assert.Equal(3, checkpoint.Size);

        var hashes = await server.Http.GetByteArrayAsync(new Uri(TilePath.Hash(0, 0, 3), UriKind.Relative));
        Assert.Equal(await File.ReadAllBytesAsync(dir.Combine("log", "tile", "0", "000.p", "3")), hashes);
        var tree = new MerkleTree();
        for (var i = 0; i < 3; i++)
        {
            tree.Append(hashes[(i * 32)..((i + 1) * 32)]);
        }

        Assert.Equal(checkpoint.RootHash, tree.Root());

        var bundle = await server.Http.GetByteArrayAsync(new Uri(TilePath.Entries(0, 3), UriKind.Relative));
        Assert.Equal(await File.ReadAllBytesAsync(dir.Combine("log", "tile", "entries", "000.p", "3")), bundle);
        var leaves = EntryBundle.Decode(bundle);
        Assert.Equal(hashes, leaves.SelectMany(l => Rfc6962.LeafHash(l)).ToArray());

        // A narrower partial that a past checkpoint named is its prefix.
        Assert.Equal(hashes[..64], await server.Http.GetByteArrayAsync(new Uri(TilePath.Hash(0, 0, 2), UriKind.Relative)));
        Assert.Equal(EntryBundle.Encode([.. leaves.Take(1)]), await server.Http.GetByteArrayAsync(new Uri(TilePath.Entries(0, 1), UriKind.Relative)));

        foreach (var missing in new[] { "tile/0/000", "tile/0/000.p/4", "tile/0/001.p/1", "tile/1/000.p/1", "tile/entries/000", "tile/0/0", "tile/0/x000/000" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync(new Uri(missing, UriKind.Relative))).StatusCode);
        }
    }

    [Fact]
    public async Task V1IntotoCreateGetSearchAndConflict()
    {
        using var dir = new TempDirectory();
        await using var server = await LogServerClient.StartAsync(dir.Path);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var tag = "index.docker.io/library/alpine:3.16.0";
        var statement = LogServerClient.Statement(tag);
        var request = LogServerClient.IntotoRequest(key, statement);

        var created = await server.PostAsync("api/v1/log/entries", request);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var createdJson = await server.JsonAsync(created);
        var uuid = createdJson.EnumerateObject().Single().Name;
        Assert.Equal(80, uuid.Length);
        var logEntry = createdJson.GetProperty(uuid);

        var fetched = await server.JsonAsync(await server.Http.GetAsync(new Uri("api/v1/log/entries/" + uuid[16..], UriKind.Relative)));
        var got = fetched.GetProperty(uuid);
        Assert.Equal(logEntry.GetProperty("body").GetString(), got.GetProperty("body").GetString());
        // As in Rekor, the attestation is the statement itself; the Rekor v1 reader rebuilds
        // the signed envelope from it and the body's signatures.
        Assert.Equal(statement, Convert.FromBase64String(got.GetProperty("attestation").GetProperty("data").GetString()!));
        var envelope = RekorV1Entries.ReadLogEntry(Encoding.UTF8.GetBytes(fetched.GetRawText())).Single().Record.Envelope!;
        Assert.Equal(statement, envelope.Payload);
        Assert.True(EnvelopeVerifier.Verify(envelope, key.ExportSubjectPublicKeyInfo()));

        // The SET: Ed25519 by the log key over the JCS of body, integratedTime, logID, logIndex.
        var trusted = LogKey.Describe(LogKey.LoadOrCreate(dir.Combine("log", "log-key")), "");
        var logId = SHA256.HashData(trusted.PublicKeyDer);
        Assert.Equal(Convert.ToHexStringLower(logId), got.GetProperty("logID").GetString());
        var body = Convert.FromBase64String(got.GetProperty("body").GetString()!);
        var set = Convert.FromBase64String(got.GetProperty("verification").GetProperty("signedEntryTimestamp").GetString()!);
        var signed = Encoding.UTF8.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{{\"body\":\"{Convert.ToBase64String(body)}\",\"integratedTime\":{got.GetProperty("integratedTime").GetInt64()},\"logID\":\"{Convert.ToHexStringLower(logId)}\",\"logIndex\":0}}"));
        Assert.True(Ed25519.Verify(set, 0, trusted.PublicKeyDer, 12, signed, 0, signed.Length));

        var proof = got.GetProperty("verification").GetProperty("inclusionProof");
        MerkleProof.VerifyInclusion(0, proof.GetProperty("treeSize").GetInt64(), Rfc6962.LeafHash(body),
            [.. proof.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!))], Convert.FromHexString(proof.GetProperty("rootHash").GetString()!));

        var bySubject = await server.PostAsync("api/v1/index/retrieve", $$"""{"hash":"sha256:{{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tag)))}}"}""");
        Assert.Equal([uuid], (await server.JsonAsync(bySubject)).EnumerateArray().Select(e => e.GetString()));
        var byKey = await server.PostAsync("api/v1/index/retrieve", "{\"publicKey\":{\"format\":\"x509\",\"content\":\"" + LogServerClient.B64(LogServerClient.Pem(key)) + "\"}}");
        Assert.Equal([uuid], (await server.JsonAsync(byKey)).EnumerateArray().Select(e => e.GetString()));
        var nothing = await server.PostAsync("api/v1/index/retrieve", $$"""{"hash":"{{new string('0', 64)}}"}""");
        Assert.Empty((await server.JsonAsync(nothing)).EnumerateArray());

        var conflict = await server.PostAsync("api/v1/log/entries", request);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("/api/v1/log/entries/" + uuid, conflict.Headers.Location?.OriginalString);

        var retrieved = await server.JsonAsync(await server.PostAsync("api/v1/log/entries/retrieve", $$"""{"logIndexes":[0,7],"entryUUIDs":["{{uuid}}"]}"""));
        Assert.Equal([uuid, uuid], retrieved.EnumerateArray().Select(e => e.EnumerateObject().Single().Name));
        var byIndex = await server.JsonAsync(await server.Http.GetAsync(new Uri("api/v1/log/entries?logIndex=0", UriKind.Relative)));
        Assert.True(byIndex.TryGetProperty(uuid, out _));
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync(new Uri("api/v1/log/entries?logIndex=5", UriKind.Relative))).StatusCode);

        var info = await server.JsonAsync(await server.Http.GetAsync(new Uri("api/v1/log", UriKind.Relative)));
        Assert.Equal(1, info.GetProperty("treeSize").GetInt64());
        Assert.Equal(proof.GetProperty("rootHash").GetString(), info.GetProperty("rootHash").GetString());
        var pem = await server.Http.GetStringAsync(new Uri("api/v1/log/publicKey", UriKind.Relative));
        Assert.Equal(trusted.PublicKeyDer, PemEncoding.Find(pem) is var f ? Convert.FromBase64String(pem[f.Base64Data]) : null);
    }

    [Fact]
    public async Task DsseV001EntryIsAcceptedAndSearchable()
    {
        using var dir = new TempDirectory();
        await using var server = await LogServerClient.StartAsync(dir.Path);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var statement = LogServerClient.Statement("ghcr.io/org/app:v1");
        var sig = key.SignData(Dsse.Pae(Dsse.InTotoPayloadType, statement), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var envelope = Encoding.UTF8.GetString(new DsseEnvelope(Dsse.InTotoPayloadType, statement, [new DsseSignature("", sig)]).ToJson());
        var request = new JsonObject
        {
            ["kind"] = "dsse",
            ["apiVersion"] = "0.0.1",
            ["spec"] = new JsonObject { ["proposedContent"] = new JsonObject { ["envelope"] = envelope, ["verifiers"] = new JsonArray(LogServerClient.B64(LogServerClient.Pem(key))) } },
        }.ToJsonString();
        var created = await server.PostAsync("api/v1/log/entries", request);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var entry = (await server.JsonAsync(created)).EnumerateObject().Single().Value;
        using var body = JsonDocument.Parse(Convert.FromBase64String(entry.GetProperty("body").GetString()!));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(envelope))), body.RootElement.GetProperty("spec").GetProperty("envelopeHash").GetProperty("value").GetString());
        Assert.False(entry.TryGetProperty("attestation", out _));

        var bySubject = await server.PostAsync("api/v1/index/retrieve", $$"""{"hash":"{{Convert.ToHexStringLower(SHA256.HashData("ghcr.io/org/app:v1"u8))}}"}""");
        Assert.Single((await server.JsonAsync(bySubject)).EnumerateArray());
    }

    [Fact]
    public async Task RestartOnTheSameDirectoryKeepsEverything()
    {
        using var dir = new TempDirectory();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var tag = "registry.test/app:1";
        var request = LogServerClient.IntotoRequest(key, LogServerClient.Statement(tag));
        string uuid;
        string firstRoot;
        await using (var server = await LogServerClient.StartAsync(dir.Path))
        {
            var created = await server.JsonAsync(await server.PostAsync("api/v1/log/entries", request));
            uuid = created.EnumerateObject().Single().Name;
            Assert.Equal(HttpStatusCode.Created, (await server.PostAsync("api/v2/log/entries", LogServerClient.HashedRekordRequest(key, Digest))).StatusCode);
            firstRoot = await File.ReadAllTextAsync(dir.Combine("trusted_root.json"));
        }

        await using (var server = await LogServerClient.StartAsync(dir.Path))
        {
            var got = await server.JsonAsync(await server.Http.GetAsync(new Uri("api/v1/log/entries/" + uuid, UriKind.Relative)));
            Assert.True(got.GetProperty(uuid).TryGetProperty("attestation", out _));
            var search = await server.PostAsync("api/v1/index/retrieve", $$"""{"hash":"sha256:{{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tag)))}}"}""");
            Assert.Equal([uuid], (await server.JsonAsync(search)).EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(HttpStatusCode.Conflict, (await server.PostAsync("api/v1/log/entries", request)).StatusCode);
            var info = await server.JsonAsync(await server.Http.GetAsync(new Uri("api/v1/log", UriKind.Relative)));
            Assert.Equal(2, info.GetProperty("treeSize").GetInt64());

            // Same key and creation time; only the port in baseUrl may differ.
            using var before = JsonDocument.Parse(firstRoot);
            using var after = JsonDocument.Parse(await server.Http.GetStringAsync(new Uri("api/v1/trusted_root.json", UriKind.Relative)));
            var ids = after.RootElement.GetProperty("tlogs").EnumerateArray().Select(t => t.GetProperty("logId").GetProperty("keyId").GetString()).ToList();
            Assert.Equal(before.RootElement.GetProperty("tlogs").EnumerateArray().Select(t => t.GetProperty("logId").GetProperty("keyId").GetString()), ids);
            Assert.Equal(2, ids.Distinct().Count());
            Assert.Equal(
                before.RootElement.GetProperty("tlogs")[0].GetProperty("publicKey").GetRawText(),
                after.RootElement.GetProperty("tlogs")[0].GetProperty("publicKey").GetRawText());
        }
    }

    [Fact]
    public async Task SidecarThatLagsTheLogIsRebuiltFromTheLeaves()
    {
        using var dir = new TempDirectory();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // ECDSA signatures are randomized: the resubmission below must be this very request.
        var request = LogServerClient.IntotoRequest(key, LogServerClient.Statement("a/b:c"));
        var canonical = IntotoV002.Canonicalize(JsonDocument.Parse(request).RootElement.GetProperty("spec"));
        using (var log = EmbeddedLog.Open(dir.Combine("log"), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance))
        {
            // Appended, then stopped before the sidecar row was written.
            await log.AppendLeafAsync(canonical.Body, CancellationToken.None);
        }

        await using var server = await LogServerClient.StartAsync(dir.Path);
        var byKey = await server.PostAsync("api/v1/index/retrieve", "{\"publicKey\":{\"format\":\"x509\",\"content\":\"" + LogServerClient.B64(LogServerClient.Pem(key)) + "\"}}");
        var uuid = Assert.Single((await server.JsonAsync(byKey)).EnumerateArray()).GetString()!;
        var got = (await server.JsonAsync(await server.Http.GetAsync(new Uri("api/v1/log/entries/" + uuid, UriKind.Relative)))).GetProperty(uuid);
        Assert.Equal(canonical.Body, Convert.FromBase64String(got.GetProperty("body").GetString()!));
        Assert.False(got.TryGetProperty("attestation", out _));
        Assert.Equal(HttpStatusCode.Conflict, (await server.PostAsync("api/v1/log/entries", request)).StatusCode);
    }

    [Theory]
    [InlineData("api/v2/log/entries", "")]
    [InlineData("api/v2/log/entries", "[]")]
    [InlineData("api/v2/log/entries", "{\"hashedRekordRequestV002\":{}}")]
    [InlineData("api/v2/log/entries", "{\"hashedRekordRequestV002\":{\"digest\":\"!!\",\"signature\":{}}}")]
    [InlineData("api/v2/log/entries", "{\"hashedRekordRequestV002\":{\"digest\":\"AAAA\",\"signature\":{\"content\":\"AAAA\",\"verifier\":{\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\",\"publicKey\":{\"rawBytes\":\"AAAA\"}}}}}")]
    [InlineData("api/v2/log/entries", "{\"hashedRekordRequestV002\":{\"digest\":\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\",\"signature\":{\"content\":\"AAAA\",\"verifier\":{\"keyDetails\":\"PKIX_ED25519\",\"publicKey\":{\"rawBytes\":\"AAAA\"}}}}}")]
    [InlineData("api/v2/log/entries", "{\"hashedRekordRequestV002\":{\"digest\":\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\",\"signature\":{\"content\":\"AAAA\",\"verifier\":{\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\",\"publicKey\":{\"rawBytes\":\"AAAA\"}}}}}")]
    [InlineData("api/v1/log/entries", "{")]
    [InlineData("api/v1/log/entries", "{\"kind\":\"hashedrekord\",\"apiVersion\":\"0.0.1\",\"spec\":{}}")]
    [InlineData("api/v1/log/entries", "{\"kind\":\"intoto\",\"apiVersion\":\"0.0.2\",\"spec\":{\"content\":{\"envelope\":{\"payloadType\":\"x\",\"payload\":\"QUFBQQ==\",\"signatures\":[{\"sig\":\"QUFBQQ==\",\"publicKey\":\"QUFBQQ==\"}]}}}}")]
    [InlineData("api/v1/log/entries", "{\"kind\":\"intoto\",\"apiVersion\":\"0.0.2\",\"spec\":{\"content\":{\"envelope\":{\"payloadType\":\"x\",\"payload\":\"QUFBQQ==\",\"signatures\":[]}}}}")]
    [InlineData("api/v1/log/entries", "{\"kind\":\"dsse\",\"apiVersion\":\"0.0.1\",\"spec\":{\"proposedContent\":{\"envelope\":\"{nope\",\"verifiers\":[\"QUFBQQ==\"]}}}")]
    [InlineData("api/v1/log/entries/retrieve", "{\"entryUUIDs\":[\"xyz\"]}")]
    [InlineData("api/v1/log/entries/retrieve", "{\"logIndexes\":[-1]}")]
    [InlineData("api/v1/log/entries/retrieve", "{\"logIndexes\":[0,1,2,3,4,5,6,7,8,9,10]}")]
    [InlineData("api/v1/index/retrieve", "{}")]
    [InlineData("api/v1/index/retrieve", "{\"hash\":\"sha256:zz\"}")]
    [InlineData("api/v1/index/retrieve", "{\"publicKey\":{\"format\":\"ssh\",\"content\":\"AAAA\"}}")]
    [InlineData("api/v1/index/retrieve", "{\"publicKey\":{\"format\":\"x509\",\"content\":\"AAAA\"}}")]
    [InlineData("api/v1/index/retrieve", "{\"hash\":5}")]
    public async Task MalformedInputIsA400(string path, string json)
    {
        using var dir = new TempDirectory();
        await using var server = await LogServerClient.StartAsync(dir.Path);
        var response = await server.PostAsync(path, json);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await server.JsonAsync(response);
        Assert.Equal(400, error.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task ConsistencyProofsAreTheTreesAndBadSizesAre400()
    {
        using var dir = new TempDirectory();
        await using var server = await LogServerClient.StartAsync(dir.Path);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var tree = new MerkleTree();
        for (var i = 0; i < 5; i++)
        {
            var created = await server.PostAsync("api/v2/log/entries", LogServerClient.HashedRekordRequest(key, SHA256.HashData([(byte)i])));
            tree.Append(Rfc6962.LeafHash(BundleJson.ReadEntry(await server.JsonAsync(created)).CanonicalizedBody));
        }

        var proof = await server.JsonAsync(await server.Http.GetAsync(new Uri("api/v1/log/proof?firstSize=3&lastSize=5", UriKind.Relative)));
        var hashes = proof.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!)).ToList();
        Assert.Equal(tree.ConsistencyProof(3, 5), hashes);
        Assert.Equal(Convert.ToHexStringLower(tree.Root()), proof.GetProperty("rootHash").GetString());
        Assert.Equal(tree.ConsistencyProof(1, 5), (await server.JsonAsync(await server.Http.GetAsync(new Uri("api/v1/log/proof", UriKind.Relative)))).GetProperty("hashes").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!)));

        foreach (var query in new[] { "firstSize=0", "firstSize=4&lastSize=3", "lastSize=6", "firstSize=x" })
        {
            var bad = await server.Http.GetAsync(new Uri("api/v1/log/proof?" + query, UriKind.Relative));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("Size", (await server.JsonAsync(bad)).GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task OversizedBodiesAndBadUuidsAreRefused()
    {
        using var dir = new TempDirectory();
        await using var server = await LogServerClient.StartAsync(dir.Path);
        // The refusal comes from the declared length, before the body is read; a client that sent
        // the whole body first could see the closed connection instead of the answer, so this one
        // waits for "100 Continue" as clients of large bodies do.
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("api/v1/log/entries", UriKind.Relative))
        {
            Content = new StringContent("{\"x\":\"" + new string('a', (1024 * 1024) + 10) + "\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;
        var big = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await server.Http.GetAsync(new Uri("api/v1/log/entries/nothex", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync(new Uri("api/v1/log/entries/" + new string('a', 64), UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await server.Http.GetAsync(new Uri("api/v1/log/entries?logIndex=-1", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public void HashedRekordBodyIsByteIdenticalToTheRealV2Answer()
    {
        var path = Fixtures.Require("sigstore", "rekor-v2-hashedrekord-create-entry-response.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var entry = BundleJson.ReadEntry(doc.RootElement);
        using var body = JsonDocument.Parse(entry.CanonicalizedBody);
        var hr = body.RootElement.GetProperty("spec").GetProperty("hashedRekordV002");
        var request = JsonDocument.Parse(new JsonObject
        {
            ["digest"] = hr.GetProperty("data").GetProperty("digest").GetString(),
            ["signature"] = JsonNode.Parse(hr.GetProperty("signature").GetRawText()),
        }.ToJsonString()).RootElement;

        var canonical = HashedRekordV002.Canonicalize(request);
        Assert.Equal(entry.CanonicalizedBody, canonical.Body);
    }

    [Fact]
    public void IntotoBodyIsByteIdenticalToTheRealV1Entry()
    {
        var path = Fixtures.Require("sigstore", "rekor-v1-intoto-v002-bundle.sigstore.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var bundle = BundleJson.Read(doc.RootElement);
        using var body = JsonDocument.Parse(bundle.Entry.CanonicalizedBody);
        var pem = Encoding.UTF8.GetString(Convert.FromBase64String(body.RootElement.GetProperty("spec").GetProperty("content").GetProperty("envelope").GetProperty("signatures")[0].GetProperty("publicKey").GetString()!));
        var env = bundle.Envelope!;

        // The proposed entry a client builds from the bundle's envelope and its certificate; no hash given.
        var spec = new JsonObject
        {
            ["content"] = new JsonObject
            {
                ["envelope"] = new JsonObject
                {
                    ["payloadType"] = env.PayloadType,
                    ["payload"] = LogServerClient.B64(Convert.ToBase64String(env.Payload)),
                    ["signatures"] = new JsonArray(new JsonObject
                    {
                        ["sig"] = LogServerClient.B64(Convert.ToBase64String(env.Signatures[0].Signature)),
                        ["publicKey"] = LogServerClient.B64(pem),
                    }),
                },
            },
        };

        var canonical = IntotoV002.Canonicalize(JsonDocument.Parse(spec.ToJsonString()).RootElement);
        Assert.Equal(Encoding.UTF8.GetString(bundle.Entry.CanonicalizedBody), Encoding.UTF8.GetString(canonical.Body));
    }

    [Fact]
    public async Task LogServeCommandRunsAsAProcess()
    {
        using var dir = new TempDirectory();
        var dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : Tool.Require("dotnet", "dotnet-sdk-10.0");
        await using var process = ChildProcess.Start(dotnet, [Path.Combine(AppContext.BaseDirectory, "tlogistry.dll"), "log", "serve", "--data-dir", dir.Path, "--port", "0", "--public-url", "https://log.example.test"]);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        System.Text.RegularExpressions.Match m;
        while (!(m = System.Text.RegularExpressions.Regex.Match(process.StandardOutput, @"log listening on port (\d+)")).Success)
        {
            Assert.False(process.HasExited, "log serve exited: " + process.StandardError + process.StandardOutput);
            Assert.True(DateTime.UtcNow < deadline, "log serve did not start: " + process.StandardOutput);
            await Task.Delay(50);
        }

        using var http = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:" + m.Groups[1].Value + "/") };
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var response = await http.PostAsync(new Uri("api/v2/log/entries", UriKind.Relative), new StringContent(LogServerClient.HashedRekordRequest(key, Digest), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var root = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir.Path, "trusted_root.json")));
        Assert.Equal("https://log.example.test", root.RootElement.GetProperty("tlogs")[0].GetProperty("baseUrl").GetString());
        Assert.StartsWith("https://log.example.test/tlogistry.local/", root.RootElement.GetProperty("tlogs")[1].GetProperty("baseUrl").GetString(), StringComparison.Ordinal);

        // The request line is written when the response completes, which can trail the client's read.
        var logged = DateTime.UtcNow.AddSeconds(10);
        while (!process.StandardOutput.Contains("POST /api/v2/log/entries status=201", StringComparison.Ordinal) && DateTime.UtcNow < logged)
        {
            await Task.Delay(20);
        }

        Assert.Contains("POST /api/v2/log/entries status=201", process.StandardOutput, StringComparison.Ordinal);
    }
}
