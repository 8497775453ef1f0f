using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Transparency.Sigstore;

public sealed class BundleVerifierTests
{
    public static readonly TheoryData<string> Bundles =
    [
        "rekor-v1-dsse",
        "rekor-v1-hashedrekord",
        "rekor-v1-hashedrekord-pubkey",
        "rekor-v1-intoto-v002",
        "rekor-v2-dsse",
        "rekor-v2-hashedrekord",
    ];

    public static readonly TheoryData<string> V1Bundles =
    [
        "rekor-v1-dsse",
        "rekor-v1-hashedrekord",
        "rekor-v1-hashedrekord-pubkey",
        "rekor-v1-intoto-v002",
    ];

    private const string SetCheck = "signed entry timestamp check failed";
    private const string ProofCheck = "inclusion proof check failed";
    private const string CheckpointCheck = "checkpoint check failed";
    private const string SignatureCheck = "signature check failed";

    [Theory]
    [MemberData(nameof(Bundles))]
    public void RealBundleVerifiesAgainstThePublicGoodRoot(string name)
    {
        var bundle = SigstoreFixtures.Bundle(name);
        var fixture = SigstoreFixtures.Entry(name);

        var verified = new BundleVerifier(TrustedRoot.PublicGood).Verify(bundle, SigstoreFixtures.SignerFor(name), SigstoreFixtures.Now);

        Assert.Equal((string)fixture["logId"]!, Convert.ToHexStringLower(verified.Log.LogId));
        var integratedTime = (long?)fixture["integratedTime"];
        Assert.Equal(integratedTime is { } t ? DateTimeOffset.FromUnixTimeSeconds(t) : null, verified.IntegratedTime);
        Assert.Equal((long)fixture["inclusionProof"]!["treeSize"]!, verified.Entry.Checkpoint!.Size);
        Assert.Equal((string)fixture["checkpointOrigin"]!, verified.Entry.Checkpoint.Origin);
        Assert.Equal(bundle.Envelope, verified.Envelope);
        Assert.Equal(bundle.MessageSignature, verified.MessageSignature);
        if (bundle.Material.Certificates.Count > 0)
        {
            Assert.Same(bundle.Material.Certificates[0], verified.LeafCertificateDer);
            Assert.Equal(BodySigner.CertificateKey(bundle.Material.Certificates[0]), verified.SignerKeyDer);
        }
        else
        {
            Assert.Null(verified.LeafCertificateDer);
            Assert.Equal(SigstoreFixtures.SignerFor(name).PublicKeyDer, verified.SignerKeyDer);
        }
    }

    [Fact]
    public void MessageDigestsAreTheArtifactsHashes()
    {
        Assert.Equal(
            System.Security.Cryptography.SHA256.HashData(SigstoreFixtures.Bytes("artifact-conformance-a.txt")),
            SigstoreFixtures.Bundle("rekor-v1-hashedrekord").MessageSignature!.Digest);
        Assert.Equal(
            System.Security.Cryptography.SHA256.HashData(SigstoreFixtures.Bytes("artifact-hello-world.txt")),
            SigstoreFixtures.Bundle("rekor-v2-hashedrekord").MessageSignature!.Digest);
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void ChangedBodyIsRejected(string name)
    {
        var bundle = SigstoreFixtures.Bundle(name);
        var body = bundle.Entry.CanonicalizedBody;

        var message = Reject(bundle with { Entry = bundle.Entry with { CanonicalizedBody = SigstoreFixtures.Flip(body, body.Length / 2) } }, name);

        // A v1 entry's SET covers the body and is checked first; a v2 entry has only the proof.
        Assert.Contains(bundle.Entry.SignedEntryTimestamp is null ? ProofCheck : SetCheck, message, StringComparison.Ordinal);
        Assert.Contains($"log entry {bundle.Entry.LogIndex}:", message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void ChangedBodyWithoutASetIsRejectedByTheProof(string name)
    {
        var bundle = SigstoreFixtures.Bundle(name);
        var body = bundle.Entry.CanonicalizedBody;
        var entry = bundle.Entry with { CanonicalizedBody = SigstoreFixtures.Flip(body, body.Length / 2), SignedEntryTimestamp = null };

        Assert.Contains(ProofCheck, Reject(bundle with { Entry = entry }, name), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void ChangedProofHashIsRejected(string name)
    {
        var bundle = SigstoreFixtures.Bundle(name);
        var proof = bundle.Entry.InclusionProof!;
        var hashes = proof.Hashes.ToList();
        hashes[^1] = SigstoreFixtures.Flip(hashes[^1], 0);

        var message = Reject(bundle with { Entry = bundle.Entry with { InclusionProof = proof with { Hashes = hashes } } }, name);

        Assert.Contains(ProofCheck, message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void ChangedProofRootIsRejected(string name)
    {
        var bundle = SigstoreFixtures.Bundle(name);
        var proof = bundle.Entry.InclusionProof!;

        var message = Reject(bundle with { Entry = bundle.Entry with { InclusionProof = proof with { RootHash = SigstoreFixtures.Flip(proof.RootHash, 5) } } }, name);

        Assert.Contains(ProofCheck, message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(V1Bundles))]
    public void ChangedSetIsRejected(string name)
    {
        var bundle = SigstoreFixtures.Bundle(name);
        var set = bundle.Entry.SignedEntryTimestamp!;

        Assert.Contains(SetCheck, Reject(bundle with { Entry = bundle.Entry with { SignedEntryTimestamp = SigstoreFixtures.Flip(set, set.Length - 3) } }, name), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(V1Bundles))]
    public void ChangedIntegratedTimeOrIndexIsRejectedByTheSet(string name)
    {
        var bundle = SigstoreFixtures.Bundle(name);

        Assert.Contains(SetCheck, Reject(bundle with { Entry = bundle.Entry with { IntegratedTime = bundle.Entry.IntegratedTime + 1 } }, name), StringComparison.Ordinal);
        Assert.Contains(SetCheck, Reject(bundle with { Entry = bundle.Entry with { LogIndex = bundle.Entry.LogIndex + 1 } }, name), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void ChangedCheckpointSignatureIsRejected(string name)
    {
        var bundle = SigstoreFixtures.Bundle(name);
        var note = SignedNote.Parse(bundle.Entry.InclusionProof!.Checkpoint);
        var signature = note.Signatures[0];
        var changed = note with { Signatures = [signature with { Signature = SigstoreFixtures.Flip(signature.Signature, signature.Signature.Length - 2) }] };

        var message = Reject(WithCheckpoint(bundle, changed.Format()), name);

        Assert.Contains(CheckpointCheck, message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void ChangedCheckpointRootIsRejected(string name)
    {
        var bundle = SigstoreFixtures.Bundle(name);
        var note = SignedNote.Parse(bundle.Entry.InclusionProof!.Checkpoint);
        var checkpoint = Checkpoint.Parse(note.Text);
        var text = (checkpoint with { RootHash = SigstoreFixtures.Flip(checkpoint.RootHash, 0) }).Format();

        var message = Reject(WithCheckpoint(bundle, (note with { Text = text }).Format()), name);

        Assert.Contains(CheckpointCheck, message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void CheckpointFromAnotherKeyIsRejected(string name)
    {
        var bundle = SigstoreFixtures.Bundle(name);
        var note = SignedNote.Parse(bundle.Entry.InclusionProof!.Checkpoint);
        var signature = note.Signatures[0];
        var wrongHint = note with { Signatures = [signature with { KeyId = signature.KeyId ^ 1 }] };

        Assert.Contains(CheckpointCheck, Reject(WithCheckpoint(bundle, wrongHint.Format()), name), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void ChangedSignatureIsRejected(string name)
    {
        var bundle = SigstoreFixtures.Bundle(name);
        SigstoreBundle changed;
        if (bundle.Envelope is { } envelope)
        {
            var s = envelope.Signatures[0];
            changed = bundle with { Envelope = envelope with { Signatures = [s with { Signature = SigstoreFixtures.Flip(s.Signature, s.Signature.Length - 2) }] } };
        }
        else
        {
            var m = bundle.MessageSignature!;
            changed = bundle with { MessageSignature = m with { Signature = SigstoreFixtures.Flip(m.Signature, m.Signature.Length - 2) } };
        }

        Assert.Contains(SignatureCheck, Reject(changed, name), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void ChangedPayloadIsRejected(string name)
    {
        var bundle = SigstoreFixtures.Bundle(name);
        var changed = bundle.Envelope is { } envelope
            ? bundle with { Envelope = envelope with { Payload = SigstoreFixtures.Flip(envelope.Payload, 1) } }
            : bundle with { MessageSignature = bundle.MessageSignature! with { Digest = SigstoreFixtures.Flip(bundle.MessageSignature.Digest, 1) } };

        Assert.Contains(SignatureCheck, Reject(changed, name), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void UnknownLogIsRejected(string name)
    {
        var bundle = SigstoreFixtures.Bundle(name);
        var noV1 = new TrustedRoot(TrustedRoot.PublicGood.Logs.Where(l => !l.LogId.AsSpan().SequenceEqual(bundle.Entry.LogId)), []);

        var e = Assert.Throws<LogVerificationException>(() => new BundleVerifier(noV1).Verify(bundle, SigstoreFixtures.SignerFor(name), SigstoreFixtures.Now));

        Assert.Contains("trusted log check failed", e.Message, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(bundle.Entry.LogId), e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void EntryOutsideTheKeysValidityIsRejected(string name)
    {
        var bundle = SigstoreFixtures.Bundle(name);
        var at = bundle.Entry.IntegratedTime != 0 ? DateTimeOffset.FromUnixTimeSeconds(bundle.Entry.IntegratedTime) : SigstoreFixtures.Now;
        var signer = SigstoreFixtures.SignerFor(name);

        var later = Shifted(log => log with { ValidFrom = at.AddSeconds(1) });
        var earlier = Shifted(log => log with { ValidFrom = at.AddYears(-1), ValidUntil = at.AddSeconds(-1) });
        var exactly = Shifted(log => log with { ValidFrom = at, ValidUntil = at });

        Assert.Contains("validity window check failed", Assert.Throws<LogVerificationException>(() => new BundleVerifier(later).Verify(bundle, signer, SigstoreFixtures.Now)).Message, StringComparison.Ordinal);
        Assert.Contains("validity window check failed", Assert.Throws<LogVerificationException>(() => new BundleVerifier(earlier).Verify(bundle, signer, SigstoreFixtures.Now)).Message, StringComparison.Ordinal);
        new BundleVerifier(exactly).Verify(bundle, signer, SigstoreFixtures.Now);
    }

    [Fact]
    public void V2EntryUsesTheTimeOfVerification()
    {
        var bundle = SigstoreFixtures.Bundle("rekor-v2-dsse");
        var verifier = new BundleVerifier(TrustedRoot.PublicGood);

        var e = Assert.Throws<LogVerificationException>(() => verifier.Verify(bundle, BundleSigner.AnyCertificate, new DateTimeOffset(2025, 9, 22, 0, 0, 0, TimeSpan.Zero)));

        Assert.Contains("validity window check failed", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(V1Bundles))]
    public void V1EntryWithNeitherSetNorProofIsRejected(string name)
    {
        var bundle = SigstoreFixtures.Bundle(name);

        var message = Reject(bundle with { Entry = bundle.Entry with { SignedEntryTimestamp = null, InclusionProof = null } }, name);

        Assert.Contains("neither a signed entry timestamp nor an inclusion proof", message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(V1Bundles))]
    public void V1EntryVerifiesWithTheSetAlone(string name)
    {
        var bundle = SigstoreFixtures.Bundle(name);

        var verified = new BundleVerifier(TrustedRoot.PublicGood).Verify(
            bundle with { Entry = bundle.Entry with { InclusionProof = null } }, SigstoreFixtures.SignerFor(name), SigstoreFixtures.Now);

        Assert.Null(verified.Entry.Checkpoint);
    }

    [Fact]
    public void KeyBundleWithAnotherKeyIsRejected()
    {
        var bundle = SigstoreFixtures.Bundle("rekor-v1-hashedrekord-pubkey");
        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);

        var e = Assert.Throws<LogVerificationException>(() => new BundleVerifier(TrustedRoot.PublicGood).Verify(bundle, BundleSigner.Key(other.ExportSubjectPublicKeyInfo()), SigstoreFixtures.Now));

        Assert.Contains(SignatureCheck, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CertificateBundleWithAnExpectedKeyNeedsTheCertificatesKey()
    {
        var bundle = SigstoreFixtures.Bundle("rekor-v2-dsse");
        var verifier = new BundleVerifier(TrustedRoot.PublicGood);
        var leafKey = BodySigner.CertificateKey(bundle.Material.Certificates[0]);
        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);

        verifier.Verify(bundle, BundleSigner.Key(leafKey), SigstoreFixtures.Now);
        var e = Assert.Throws<LogVerificationException>(() => verifier.Verify(bundle, BundleSigner.Key(other.ExportSubjectPublicKeyInfo()), SigstoreFixtures.Now));

        Assert.Contains("signer check failed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyBundleNeedsAnExpectedKey()
    {
        var bundle = SigstoreFixtures.Bundle("rekor-v1-hashedrekord-pubkey");

        var e = Assert.Throws<LogVerificationException>(() => new BundleVerifier(TrustedRoot.PublicGood).Verify(bundle, BundleSigner.AnyCertificate, SigstoreFixtures.Now));

        Assert.Contains("signer check failed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EntryWhoseKindDiffersFromItsBodyIsRejected()
    {
        var bundle = SigstoreFixtures.Bundle("rekor-v2-hashedrekord");

        var message = Reject(bundle with { Entry = bundle.Entry with { Version = "0.0.1" } }, "rekor-v2-hashedrekord");

        Assert.Contains("body check failed", message, StringComparison.Ordinal);
    }

    private static string Reject(SigstoreBundle bundle, string name) =>
        Assert.Throws<LogVerificationException>(() => new BundleVerifier(TrustedRoot.PublicGood).Verify(bundle, SigstoreFixtures.SignerFor(name), SigstoreFixtures.Now)).Message;

    private static SigstoreBundle WithCheckpoint(SigstoreBundle bundle, string checkpoint) =>
        bundle with { Entry = bundle.Entry with { InclusionProof = bundle.Entry.InclusionProof! with { Checkpoint = checkpoint } } };

    private static TrustedRoot Shifted(Func<TrustedLog, TrustedLog> shift) =>
        new(TrustedRoot.PublicGood.Logs.Select(shift), []);
}
