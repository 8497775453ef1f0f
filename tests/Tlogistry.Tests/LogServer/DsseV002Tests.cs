// Each request here finishes in milliseconds against a loopback server the test owns.
#pragma warning disable xUnit1051

using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Tlogistry.LogServer;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.LogServer;

/// <summary><c>log serve</c>'s Rekor v2 API taking a <c>dsseRequestV002</c>: the envelope is verified over its PAE and logged as a dsse 0.0.2 body.</summary>
public sealed class DsseV002Tests
{
    private const string Tag = "ghcr.io/org/app:v1";

    [Fact]
    public async Task DsseRequestIsLoggedAsTheDsseBodyThatCommitsToItsEnvelope()
    {
        using var dir = new TempDirectory();
        await using var server = await LogServerClient.StartAsync(dir.Path);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var envelope = Sign(key, LogServerClient.Statement(Tag));

        var response = await server.PostAsync("api/v2/log/entries", Request(envelope, Verifier(key)));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var entry = BundleJson.ReadEntry(await server.JsonAsync(response));
        Assert.Equal(("dsse", "0.0.2", 0L), (entry.Kind, entry.Version, entry.LogIndex));
        var signature = new DsseV002Signature(envelope.Signatures[0].Signature, false, key.ExportSubjectPublicKeyInfo(), HashedRekordV002.KeyDetails);
        Assert.Equal(DsseV002Body.Build(envelope.Payload, [signature]), entry.CanonicalizedBody);
        var body = EntryBody.Parse(entry.CanonicalizedBody, "dsse", "0.0.2");
        Assert.Null(body.FindMismatch(envelope));
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), Assert.Single(body.Signers).PublicKeyDer);

        var verifier = LogKey.LoadOrCreate(dir.Combine("log", "log-key")).Verifier;
        var proof = entry.InclusionProof!;
        var checkpoint = Checkpoint.Parse(NoteOpener.Open(proof.Checkpoint, [verifier]).Text);
        MerkleProof.VerifyInclusion(entry.LogIndex, checkpoint.Size, Rfc6962.LeafHash(entry.CanonicalizedBody), proof.Hashes, checkpoint.RootHash);

        // Found by the statement's subject, its payload and its key, as a dsse 0.0.1 entry is.
        var leaf = Convert.ToHexStringLower(Rfc6962.LeafHash(entry.CanonicalizedBody));
        foreach (var query in new[]
        {
            $$"""{"hash":"sha256:{{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Tag)))}}"}""",
            $$"""{"hash":"sha256:{{Convert.ToHexStringLower(SHA256.HashData(envelope.Payload))}}"}""",
            "{\"publicKey\":{\"format\":\"x509\",\"content\":\"" + LogServerClient.B64(LogServerClient.Pem(key)) + "\"}}",
        })
        {
            var found = (await server.JsonAsync(await server.PostAsync("api/v1/index/retrieve", query))).EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.EndsWith(leaf, Assert.Single(found), StringComparison.Ordinal);
        }

        // The sidecar row rebuilt from the leaf alone has the same key and payload keys.
        var (kind, version, keys) = StoredBody.Describe(entry.CanonicalizedBody);
        Assert.Equal(("dsse", "0.0.2"), (kind, version));
        Assert.Equal(["sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(LogServerClient.Pem(key)))), "sha256:" + Convert.ToHexStringLower(SHA256.HashData(envelope.Payload))], keys);

        // The same request again is the same leaf.
        var again = await server.PostAsync("api/v2/log/entries", Request(envelope, Verifier(key)));
        Assert.Equal(0, BundleJson.ReadEntry(await server.JsonAsync(again)).LogIndex);
    }

    [Fact]
    public async Task DsseRequestWhoseSignatureDoesNotVerifyOverThePaeIsRefused()
    {
        using var dir = new TempDirectory();
        await using var server = await LogServerClient.StartAsync(dir.Path);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var statement = LogServerClient.Statement(Tag);
        var envelope = Sign(key, statement);
        // Signed over the payload itself, not over the PAE: a signature, but not a DSSE one.
        var overPayload = envelope with { Signatures = [new DsseSignature("", key.SignData(statement, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))] };
        // Signed by one key, naming the verifier of another.
        var byOther = Sign(other, statement);

        var refusals = new List<string>();
        foreach (var request in new[]
        {
            Request(overPayload, Verifier(key)),
            Request(byOther, Verifier(key)),
            Request(envelope, Verifier(other), Verifier(key)),
            Request(envelope, Verifier(key), Verifier(key)),
            Request(envelope, Verifier(key, "PKIX_ED25519")),
            Request(envelope with { PayloadType = "text/plain" }, Verifier(key)),
        })
        {
            var response = await server.PostAsync("api/v2/log/entries", request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            refusals.Add((await server.JsonAsync(response)).GetProperty("message").GetString()!);
        }

        Assert.Equal(
            [
                "could not verify envelope: no signature verifies over the PAE with a given verifier",
                "could not verify envelope: no signature verifies over the PAE with a given verifier",
                "could not verify envelope: no signature verifies over the PAE with a given verifier",
                "duplicate verifier",
                "unsupported keyDetails PKIX_ED25519; this log accepts only PKIX_ECDSA_P256_SHA_256",
                "could not verify envelope: no signature verifies over the PAE with a given verifier",
            ],
            refusals);
        Assert.Equal(0, Checkpoint.Parse(SignedNote.Parse(await File.ReadAllTextAsync(dir.Combine("log", "checkpoint"))).Text).Size);
    }

    [Fact]
    public void DsseBodyWhosePayloadHashOrSignatureDiffersFromTheEnvelopeIsRefusedByTheVerifier()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var envelope = Sign(key, LogServerClient.Statement(Tag));
        var spki = key.ExportSubjectPublicKeyInfo();
        var otherPayload = DsseV002Body.Build(LogServerClient.Statement("ghcr.io/org/app:v2"), [new DsseV002Signature(envelope.Signatures[0].Signature, false, spki, HashedRekordV002.KeyDetails)]);
        var otherSignature = DsseV002Body.Build(envelope.Payload, [new DsseV002Signature(Sign(key, envelope.Payload).Signatures[0].Signature, false, spki, HashedRekordV002.KeyDetails)]);

        Assert.Equal("payload hash differs from SHA-256 of the envelope's payload", EntryBody.Parse(otherPayload, "dsse", "0.0.2").FindMismatch(envelope));
        Assert.Equal("signatures differ from the envelope's", EntryBody.Parse(otherSignature, "dsse", "0.0.2").FindMismatch(envelope));
    }

    [Theory]
    [InlineData("{\"dsseRequestV002\":[]}")]
    [InlineData("{\"dsseRequestV002\":{\"envelope\":{\"payloadType\":\"x\",\"payload\":\"QUFBQQ==\",\"signatures\":[]},\"verifiers\":[]}}")]
    [InlineData("{\"dsseRequestV002\":{\"envelope\":{\"payloadType\":\"x\",\"payload\":\"QUFBQQ==\",\"signatures\":[{\"sig\":\"\"}]},\"verifiers\":[]}}")]
    [InlineData("{\"dsseRequestV002\":{\"envelope\":{\"payloadType\":\"x\",\"payload\":\"QUFBQQ==\",\"signatures\":[{\"sig\":\"QUFBQQ==\"}]},\"verifiers\":[]}}")]
    [InlineData("{\"dsseRequestV002\":{\"envelope\":{\"payloadType\":\"x\",\"payload\":\"QUFBQQ==\",\"signatures\":[{\"sig\":\"QUFBQQ==\"}]},\"verifiers\":[{\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\"}]}}")]
    [InlineData("{\"dsseRequestV002\":{\"envelope\":{\"payloadType\":\"x\",\"payload\":\"QUFBQQ==\",\"signatures\":[{\"sig\":\"QUFBQQ==\"}]},\"verifiers\":[{\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\",\"publicKey\":{\"rawBytes\":\"AAAA\"}}]}}")]
    [InlineData("{\"dsseRequestV002\":{\"envelope\":{\"payloadType\":\"x\",\"payload\":\"QUFBQQ==\",\"signatures\":[{\"sig\":\"QUFBQQ==\"}]},\"verifiers\":[{\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\",\"x509Certificate\":{\"rawBytes\":\"AAAA\"}}]}}")]
    public async Task MalformedDsseRequestIsA400(string json)
    {
        using var dir = new TempDirectory();
        await using var server = await LogServerClient.StartAsync(dir.Path);
        var response = await server.PostAsync("api/v2/log/entries", json);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(string.IsNullOrEmpty((await server.JsonAsync(response)).GetProperty("message").GetString()));
    }

    [Fact]
    public void BuilderWritesTheRealLogsBodyByteForByte()
    {
        var bundle = Transparency.Sigstore.SigstoreFixtures.Bundle("rekor-v2-dsse");
        var envelope = bundle.Envelope!;
        var signature = new DsseV002Signature(envelope.Signatures[0].Signature, true, bundle.Material.Certificates[0], HashedRekordV002.KeyDetails);

        Assert.Equal(bundle.Entry.CanonicalizedBody, DsseV002Body.Build(envelope.Payload, [signature]));
    }

    [Fact]
    public async Task AVerifierThatVerifiesNoSignatureIsRefusedAfterAllAreVerified()
    {
        using var dir = new TempDirectory();
        await using var server = await LogServerClient.StartAsync(dir.Path);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var bystander = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var envelope = Sign(key, LogServerClient.Statement(Tag));

        // The signer's verifier first verifies every signature; the bystander's, named after it, verifies none.
        var response = await server.PostAsync("api/v2/log/entries", Request(envelope, Verifier(key), Verifier(bystander)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("could not verify envelope: no signature verifies over the PAE with a given verifier", (await server.JsonAsync(response)).GetProperty("message").GetString());
        Assert.Equal(0, Checkpoint.Parse(SignedNote.Parse(await File.ReadAllTextAsync(dir.Combine("log", "checkpoint"))).Text).Size);
    }

    [Fact]
    public async Task ARequestNamingBothEntryKindsIsRefused()
    {
        using var dir = new TempDirectory();
        await using var server = await LogServerClient.StartAsync(dir.Path);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var envelope = Sign(key, LogServerClient.Statement(Tag));
        var both = JsonNode.Parse(Request(envelope, Verifier(key)))!.AsObject();
        var digest = SHA256.HashData("artifact"u8);
        both["hashedRekordRequestV002"] = JsonNode.Parse(LogServerClient.HashedRekordRequest(key, digest))!["hashedRekordRequestV002"]!.DeepClone();

        var response = await server.PostAsync("api/v2/log/entries", both.ToJsonString());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("a request holds one of dsseRequestV002 and hashedRekordRequestV002, not both", (await server.JsonAsync(response)).GetProperty("message").GetString());
        Assert.Equal(0, Checkpoint.Parse(SignedNote.Parse(await File.ReadAllTextAsync(dir.Combine("log", "checkpoint"))).Text).Size);
    }

    private static DsseEnvelope Sign(ECDsa key, byte[] payload) =>
        new(Dsse.InTotoPayloadType, payload, [new DsseSignature("", key.SignData(Dsse.Pae(Dsse.InTotoPayloadType, payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))]);

    private static JsonObject Verifier(ECDsa key, string keyDetails = HashedRekordV002.KeyDetails) => new()
    {
        ["publicKey"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()) },
        ["keyDetails"] = keyDetails,
    };

    /// <summary>A CreateEntryRequest as protobuf JSON: bytes as base64, the envelope's payload and signatures raw.</summary>
    private static string Request(DsseEnvelope envelope, params JsonObject[] verifiers) => new JsonObject
    {
        ["dsseRequestV002"] = new JsonObject
        {
            ["envelope"] = new JsonObject
            {
                ["payload"] = Convert.ToBase64String(envelope.Payload),
                ["payloadType"] = envelope.PayloadType,
                ["signatures"] = new JsonArray([.. envelope.Signatures.Select(s => (JsonNode)new JsonObject { ["sig"] = Convert.ToBase64String(s.Signature), ["keyid"] = s.KeyId })]),
            },
            ["verifiers"] = new JsonArray([.. verifiers]),
        },
    }.ToJsonString();
}
