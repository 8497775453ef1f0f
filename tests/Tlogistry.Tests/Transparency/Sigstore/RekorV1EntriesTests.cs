using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Rekor;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Transparency.Sigstore;

/// <summary>A real public-good intoto 0.0.1 entry in the Rekor v1 REST shape, read by <see cref="RekorV1Entries"/>.</summary>
public sealed class RekorV1EntriesTests
{
    private const string File = "rekor-v1-intoto-v001-logentry.json";
    private const string Uuid = "24296fb24b8ad77a27dbac48342e32d86ca2e056106ff7e94cd4a6ed2a12de00b7ffc57fc2f2c2e4";

    private static readonly string Zeros = new('0', 64);

    /// <summary>The leaf hash of the body <c>{}</c>, so that a UUID names it.</summary>
    private static readonly string EmptyBodyLeaf = Convert.ToHexStringLower(Rfc6962.LeafHash("{}"u8));

    public static readonly TheoryData<string, string> Malformed = new()
    {
        { "[]", "not a JSON object" },
        { "{", "not JSON" },
        { "{\"u\":{}}", "'u' is not an entry UUID" },
        { $"{{\"{Zeros}\":\"x\"}}", "is not an object" },
        { $"{{\"{Zeros}\":{{\"body\":\"!!\"}}}}", "body is not base64" },
        { $"{{\"{Zeros}\":{{\"logIndex\":1}}}}", "entry has no body" },
        { $"{{\"{Zeros}\":{{\"body\":\"e30=\"}}}}", "does not name its body" },
        { $"{{\"{EmptyBodyLeaf}\":{{\"body\":\"e30=\",\"logIndex\":1}}}}", "entry body has no kind and apiVersion" },
    };

    [Fact]
    public void RestEntryReadsIntoALogEntry()
    {
        var fixture = SigstoreFixtures.Entry("rekor-v1-intoto-v001");

        var read = Read();

        Assert.Equal(Uuid, read.Uuid);
        var entry = read.Record.Entry;
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
    }

    [Fact]
    public void StoredAttestationBecomesAnUnsignedEnvelope()
    {
        var flat = JsonNode.Parse(SigstoreFixtures.Bytes(File))!.AsObject();
        var attestation = Convert.FromBase64String((string)flat["attestation"]!["data"]!);

        var envelope = Read().Record.Envelope!;

        Assert.Equal(Dsse.InTotoPayloadType, envelope.PayloadType);
        Assert.Equal(attestation, envelope.Payload);
        Assert.Empty(envelope.Signatures);
    }

    [Fact]
    public void UuidIsTheTreeIdAndLeafHash()
    {
        var read = Read();

        var leaf = Rfc6962.LeafHash(read.Record.Entry.CanonicalizedBody);

        Assert.EndsWith(Convert.ToHexStringLower(leaf), read.Uuid, StringComparison.Ordinal);
    }

    [Fact]
    public void RestEntryVerifiesItsSetProofAndCheckpoint()
    {
        var entry = Read().Record.Entry;

        var verified = new BundleVerifier(TrustedRoot.PublicGood).VerifyEntry(entry, SigstoreFixtures.Now);

        Assert.Equal("https://rekor.sigstore.dev", verified.Log.BaseUrl);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1679479591), verified.IntegratedTime);
        Assert.Equal("rekor.sigstore.dev - 2605736670972794746", verified.Checkpoint!.Origin);
        Assert.Single(verified.Checkpoint.Extensions);
    }

    [Fact]
    public void TamperedRestEntryIsRejected()
    {
        var entry = Read().Record.Entry;
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
        var record = Read().Record;

        var body = EntryBody.Parse(record.Entry.CanonicalizedBody, record.Entry.Kind, record.Entry.Version);

        var signer = Assert.Single(body.Signers);
        Assert.False(signer.IsCertificate);
        Assert.Null(signer.Signature);
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(signer.PublicKeyDer, out _);

        // intoto 0.0.1 records the payload's hash, so the envelope around the attestation matches it.
        var envelope = record.Envelope!;
        Assert.Null(body.FindMismatch(envelope));
        Assert.NotNull(body.FindMismatch(envelope with { Payload = SigstoreFixtures.Flip(envelope.Payload, 0) }));
    }

    [Fact]
    public void EveryUuidOfAnAnswerIsRead()
    {
        var flat = JsonNode.Parse(SigstoreFixtures.Bytes(File))!.AsObject();
        flat.Remove("uuid");
        var answer = new JsonObject { [Uuid] = flat.DeepClone(), [Uuid[16..].ToUpperInvariant()] = flat.DeepClone() };

        var read = RekorV1Entries.ReadLogEntry(Encoding.UTF8.GetBytes(answer.ToJsonString()));

        Assert.Equal([Uuid, Uuid[16..]], read.Select(r => r.Uuid));
        Assert.All(read, r => Assert.Equal(16028007, r.Record.Entry.LogIndex));
    }

    [Fact]
    public void FlatEntryWithAUuidMemberIsNotTheRestShape()
    {
        var e = Assert.Throws<FormatException>(() => RekorV1Entries.ReadLogEntry(SigstoreFixtures.Bytes(File)));

        Assert.Contains("'uuid' is not an entry UUID", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("logIndex", null, "entry has no logIndex")]
    [InlineData("integratedTime", "-1", "integratedTime is not a non-negative integer")]
    [InlineData("integratedTime", "\"1679479591\"", "integratedTime is not a non-negative integer")]
    [InlineData("logID", "\"c0d2\"", "logID is not 32 hex-encoded bytes")]
    public void MalformedMembersOfTheRealEntryAreRefused(string member, string? value, string reason)
    {
        var flat = JsonNode.Parse(SigstoreFixtures.Bytes(File))!.AsObject();
        flat.Remove("uuid");
        flat.Remove(member);
        if (value is not null)
        {
            flat[member] = JsonNode.Parse(value);
        }

        var answer = new JsonObject { [Uuid] = flat };

        var e = Assert.Throws<FormatException>(() => RekorV1Entries.ReadLogEntry(Encoding.UTF8.GetBytes(answer.ToJsonString())));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedResponsesAreRefused(string json, string reason)
    {
        var e = Assert.Throws<FormatException>(() => RekorV1Entries.ReadLogEntry(Encoding.UTF8.GetBytes(json)));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    private static RekorV1Entry Read() => Assert.Single(RekorV1Entries.ReadLogEntry(SigstoreFixtures.RestLogEntry(File)));
}
