using System.Security.Cryptography;
using System.Text;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Transparency.Sigstore;

public sealed class RekorV1EntryJsonTests
{
    private const string File = "rekor-v1-intoto-v001-logentry.json";

    [Fact]
    public void RestEntryReadsIntoALogEntry()
    {
        var fixture = SigstoreFixtures.Entry("rekor-v1-intoto-v001");

        var read = RekorV1EntryJson.Read(SigstoreFixtures.Bytes(File));

        Assert.Equal("24296fb24b8ad77a27dbac48342e32d86ca2e056106ff7e94cd4a6ed2a12de00b7ffc57fc2f2c2e4", read.Uuid);
        var entry = read.Entry;
        Assert.Equal("intoto", entry.Kind);
        Assert.Equal("0.0.1", entry.Version);
        Assert.Equal((long)fixture["logIndex"]!, entry.LogIndex);
        Assert.Equal((long)fixture["integratedTime"]!, entry.IntegratedTime);
        Assert.Equal((string)fixture["bodyBase64"]!, Convert.ToBase64String(entry.CanonicalizedBody));
        Assert.Equal((string)fixture["setBase64"]!, Convert.ToBase64String(entry.SignedEntryTimestamp!));
        var proof = entry.InclusionProof!;
        Assert.Equal(11864576, proof.LogIndex);
        Assert.Equal(11956977, proof.TreeSize);
        Assert.Equal(22, proof.Hashes.Count);
        Assert.Equal(System.IO.File.ReadAllText(SigstoreFixtures.Path("rekor-v1-intoto-v001-checkpoint.txt")), proof.Checkpoint);
        Assert.NotNull(read.Attestation);
    }

    [Fact]
    public void UuidIsTheTreeIdAndLeafHash()
    {
        var read = RekorV1EntryJson.Read(SigstoreFixtures.Bytes(File));

        var leaf = Tlogistry.Transparency.Merkle.Rfc6962.LeafHash(read.Entry.CanonicalizedBody);

        Assert.EndsWith(Convert.ToHexStringLower(leaf), read.Uuid, StringComparison.Ordinal);
    }

    [Fact]
    public void RestEntryVerifiesItsSetProofAndCheckpoint()
    {
        var entry = RekorV1EntryJson.Read(SigstoreFixtures.Bytes(File)).Entry;

        var verified = new BundleVerifier(TrustedRoot.PublicGood).VerifyEntry(entry, SigstoreFixtures.Now);

        Assert.Equal("https://rekor.sigstore.dev", verified.Log.BaseUrl);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1679479591), verified.IntegratedTime);
        Assert.Equal("rekor.sigstore.dev - 2605736670972794746", verified.Checkpoint!.Origin);
        Assert.Single(verified.Checkpoint.Extensions);
    }

    [Fact]
    public void TamperedRestEntryIsRejected()
    {
        var entry = RekorV1EntryJson.Read(SigstoreFixtures.Bytes(File)).Entry;
        var verifier = new BundleVerifier(TrustedRoot.PublicGood);
        var hashes = entry.InclusionProof!.Hashes.ToList();
        hashes[3] = SigstoreFixtures.Flip(hashes[3], 7);

        Assert.Contains("signed entry timestamp check failed", Assert.Throws<LogVerificationException>(() => verifier.VerifyEntry(entry with { CanonicalizedBody = SigstoreFixtures.Flip(entry.CanonicalizedBody, 40) }, SigstoreFixtures.Now)).Message, StringComparison.Ordinal);
        Assert.Contains("inclusion proof check failed", Assert.Throws<LogVerificationException>(() => verifier.VerifyEntry(entry with { InclusionProof = entry.InclusionProof with { Hashes = hashes } }, SigstoreFixtures.Now)).Message, StringComparison.Ordinal);
        Assert.Contains("inclusion proof check failed", Assert.Throws<LogVerificationException>(() => verifier.VerifyEntry(entry with { InclusionProof = entry.InclusionProof with { LogIndex = entry.InclusionProof.LogIndex + 1 } }, SigstoreFixtures.Now)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BodyCommitsToTheStoredAttestationAndNamesThePemKey()
    {
        var read = RekorV1EntryJson.Read(SigstoreFixtures.Bytes(File));

        var body = EntryBody.Parse(read.Entry.CanonicalizedBody, read.Entry.Kind, read.Entry.Version);

        var signer = Assert.Single(body.Signers);
        Assert.False(signer.IsCertificate);
        Assert.Null(signer.Signature);
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(signer.PublicKeyDer, out _);

        // intoto 0.0.1 records the payload's hash, so an envelope around the attestation matches it.
        var envelope = new Tlogistry.Signing.DsseEnvelope(Tlogistry.Signing.Dsse.InTotoPayloadType, read.Attestation!, []);
        Assert.Null(body.FindMismatch(envelope));
        Assert.NotNull(body.FindMismatch(envelope with { Payload = SigstoreFixtures.Flip(read.Attestation!, 0) }));
    }

    [Fact]
    public void SingleEntryObjectKeyedByUuidIsRead()
    {
        var flat = System.Text.Json.Nodes.JsonNode.Parse(SigstoreFixtures.Bytes(File))!.AsObject();
        var uuid = (string)flat["uuid"]!;
        flat.Remove("uuid");
        var rest = new System.Text.Json.Nodes.JsonObject { [uuid] = flat };

        var read = RekorV1EntryJson.Read(Encoding.UTF8.GetBytes(rest.ToJsonString()));

        Assert.Equal(uuid, read.Uuid);
        Assert.Equal(16028007, read.Entry.LogIndex);
    }

    [Theory]
    [InlineData("[]", "not an object")]
    [InlineData("{\"a\":{},\"b\":{}}", "2 entries")]
    [InlineData("{\"u\":{\"body\":\"!!\"}}", "body is not base64")]
    [InlineData("{\"u\":{\"body\":\"e30=\",\"logIndex\":1}}", "malformed Rekor entry")]
    public void MalformedResponsesAreRefused(string json, string reason)
    {
        var e = Assert.Throws<FormatException>(() => RekorV1EntryJson.Read(Encoding.UTF8.GetBytes(json)));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }
}
