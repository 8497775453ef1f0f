using System.Security.Cryptography;
using System.Text;
using Tlogistry.Signing;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Transparency.Sigstore;

public sealed class EntryBodyTests
{
    [Theory]
    [InlineData("rekor-v1-dsse", "dsse", "0.0.1", true)]
    [InlineData("rekor-v1-hashedrekord", "hashedrekord", "0.0.1", true)]
    [InlineData("rekor-v1-hashedrekord-pubkey", "hashedrekord", "0.0.1", false)]
    [InlineData("rekor-v1-intoto-v002", "intoto", "0.0.2", true)]
    [InlineData("rekor-v2-dsse", "dsse", "0.0.2", true)]
    [InlineData("rekor-v2-hashedrekord", "hashedrekord", "0.0.2", false)]
    public void RealBodiesNameTheBundlesSignerAndSignature(string name, string kind, string version, bool certificate)
    {
        var bundle = SigstoreFixtures.Bundle(name);

        var body = EntryBody.Parse(bundle.Entry.CanonicalizedBody, bundle.Entry.Kind, bundle.Entry.Version);

        Assert.Equal(kind, body.Kind);
        Assert.Equal(version, body.Version);
        var signer = Assert.Single(body.Signers);
        Assert.Equal(certificate, signer.IsCertificate);
        var expectedSignature = bundle.Envelope?.Signatures[0].Signature ?? bundle.MessageSignature!.Signature;
        Assert.Equal(expectedSignature, signer.Signature);
        var key = bundle.Material.Certificates.Count > 0
            ? BodySigner.CertificateKey(bundle.Material.Certificates[0])
            : SigstoreFixtures.SignerFor(name).PublicKeyDer;
        Assert.Equal(key, signer.PublicKeyDer);
        if (certificate)
        {
            Assert.Equal(bundle.Material.Certificates[0], signer.Verifier);
        }
    }

    [Fact]
    public void BodyOfAnotherKindOrVersionIsRefused()
    {
        var body = SigstoreFixtures.Bundle("rekor-v1-dsse").Entry.CanonicalizedBody;

        Assert.Contains("entry says dsse 0.0.2 but its body is dsse 0.0.1", Assert.Throws<FormatException>(() => EntryBody.Parse(body, "dsse", "0.0.2")).Message, StringComparison.Ordinal);
        Assert.Contains("intoto", Assert.Throws<FormatException>(() => EntryBody.Parse(body, "intoto", "0.0.1")).Message, StringComparison.Ordinal);
        Assert.Contains("not supported", Assert.Throws<FormatException>(() => EntryBody.Parse("{\"kind\":\"rekord\",\"apiVersion\":\"0.0.1\"}"u8, "rekord", "0.0.1")).Message, StringComparison.Ordinal);
        Assert.Contains("not JSON", Assert.Throws<FormatException>(() => EntryBody.Parse("{"u8, "dsse", "0.0.1")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DsseBodyDoesNotHoldAMessageSignature()
    {
        var bundle = SigstoreFixtures.Bundle("rekor-v2-dsse");
        var body = EntryBody.Parse(bundle.Entry.CanonicalizedBody, "dsse", "0.0.2");

        Assert.NotNull(body.FindMismatch(new MessageSignature("SHA2_256", new byte[32], new byte[8])));
        Assert.NotNull(body.FindMismatch(bundle.Envelope! with { Signatures = [new DsseSignature("", new byte[70])] }));
        Assert.Null(body.FindMismatch(bundle.Envelope!));
    }

    [Fact]
    public void SightingLeafCommitsToItsOwnEnvelope()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var key = InstanceKey.FromEcdsa(ecdsa);
        var envelope = key.SignEnvelope(Dsse.InTotoPayloadType, "{\"_type\":\"https://in-toto.io/Statement/v1\"}"u8.ToArray());
        var leaf = EmbeddedEntry.Encode(1700000000, envelope.ToJson());

        var body = EntryBody.Parse(leaf, EmbeddedEntry.Kind, EntryBody.SightingVersion);

        Assert.Empty(body.Signers);
        Assert.Null(body.FindMismatch(envelope));
        var other = key.SignEnvelope(Dsse.InTotoPayloadType, "{}"u8.ToArray());
        Assert.Equal("the envelope in the log differs from the bundle's", body.FindMismatch(other));
        Assert.NotNull(body.FindMismatch(new MessageSignature("SHA2_256", new byte[32], new byte[8])));
        Assert.Throws<FormatException>(() => EntryBody.Parse(leaf, EmbeddedEntry.Kind, "0.0.2"));
    }

    [Fact]
    public void HashedRekordV002CommitsToAnEnvelopeByItsPaeDigest()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var key = InstanceKey.FromEcdsa(ecdsa);
        var envelope = key.SignEnvelope(Dsse.InTotoPayloadType, "{\"a\":1}"u8.ToArray());
        var body = HashedRekordV002(SHA256.HashData(envelope.Pae()), envelope.Signatures[0].Signature, key.PublicKeyDer);

        var parsed = EntryBody.Parse(body, "hashedrekord", "0.0.2");

        Assert.Equal(key.PublicKeyDer, Assert.Single(parsed.Signers).PublicKeyDer);
        Assert.Null(parsed.FindMismatch(envelope));
        Assert.Equal("digest is not SHA-256 of the envelope's PAE", parsed.FindMismatch(envelope with { PayloadType = "text/plain" }));
        var resigned = key.SignEnvelope(Dsse.InTotoPayloadType, "{\"a\":1}"u8.ToArray());
        Assert.Equal("signature differs from the envelope's", parsed.FindMismatch(resigned));
    }

    [Fact]
    public void SelfHostedSightingBundleVerifiesEndToEnd()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var key = InstanceKey.FromEcdsa(ecdsa);
        var envelope = key.SignEnvelope(Dsse.InTotoPayloadType, "{\"sighting\":true}"u8.ToArray());
        var (log, bundle) = SelfHostedBundle(envelope, envelope);
        var verifier = new BundleVerifier(new TrustedRoot([], []).WithLogs([log]));

        var verified = verifier.Verify(bundle, BundleSigner.Key(key.PublicKeyDer), DateTimeOffset.UtcNow);

        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), verified.IntegratedTime);
        Assert.Equal(key.PublicKeyDer, verified.SignerKeyDer);
        Assert.Equal(1, verified.Entry.Checkpoint!.Size);
    }

    [Fact]
    public void SelfHostedBundleWhoseLeafHoldsAnotherEnvelopeFailsTheBodyCheck()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var key = InstanceKey.FromEcdsa(ecdsa);
        var logged = key.SignEnvelope(Dsse.InTotoPayloadType, "{\"sighting\":1}"u8.ToArray());
        var claimed = key.SignEnvelope(Dsse.InTotoPayloadType, "{\"sighting\":2}"u8.ToArray());
        var (log, bundle) = SelfHostedBundle(logged, claimed);

        var e = Assert.Throws<LogVerificationException>(() => new BundleVerifier(new TrustedRoot([log], [])).Verify(bundle, BundleSigner.Key(key.PublicKeyDer), DateTimeOffset.UtcNow));

        Assert.Contains("log entry 0: body check failed: the envelope in the log differs", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidlySignedCheckpointOfAnotherTreeFailsTheCheckpointCheck()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var key = InstanceKey.FromEcdsa(ecdsa);
        var envelope = key.SignEnvelope(Dsse.InTotoPayloadType, "{}"u8.ToArray());
        var (otherRoot, rootBundle) = SelfHostedBundle(envelope, envelope, c => c with { RootHash = new byte[32] });
        var (otherSize, sizeBundle) = SelfHostedBundle(envelope, envelope, c => c with { Size = 2 });

        foreach (var (log, bundle) in new[] { (otherRoot, rootBundle), (otherSize, sizeBundle) })
        {
            var e = Assert.Throws<LogVerificationException>(() => new BundleVerifier(new TrustedRoot([log], [])).Verify(bundle, BundleSigner.Key(key.PublicKeyDer), DateTimeOffset.UtcNow));
            Assert.Contains("checkpoint check failed: the signed tree", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void WithoutASetOnlyTheLeafsOwnTimeCountsAndItMustBeTheEntrys()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var key = InstanceKey.FromEcdsa(ecdsa);
        var envelope = key.SignEnvelope(Dsse.InTotoPayloadType, "{}"u8.ToArray());
        var (log, bundle) = SelfHostedBundle(envelope, envelope);
        var verifier = new BundleVerifier(new TrustedRoot([log], []));
        var unsigned = bundle with { Entry = bundle.Entry with { SignedEntryTimestamp = null } };

        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), verifier.Verify(unsigned, BundleSigner.Key(key.PublicKeyDer), DateTimeOffset.UtcNow).IntegratedTime);

        var backdated = unsigned with { Entry = unsigned.Entry with { IntegratedTime = 1600000000 } };
        var e = Assert.Throws<LogVerificationException>(() => verifier.Verify(backdated, BundleSigner.Key(key.PublicKeyDer), DateTimeOffset.UtcNow));
        Assert.Contains("body check failed: the leaf's integrated time 1700000000 is not the entry's 1600000000", e.Message, StringComparison.Ordinal);

        // Nothing but a SET vouches for the time of an entry whose body states none.
        Assert.Null(verifier.VerifyEntry(backdated.Entry, DateTimeOffset.UtcNow).IntegratedTime);
    }

    [Fact]
    public void ACheckpointFromAnotherOriginUnderTheSameKeyFailsForALogIdNamingThisOne()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var key = InstanceKey.FromEcdsa(ecdsa);
        var envelope = key.SignEnvelope(Dsse.InTotoPayloadType, "{}"u8.ToArray());
        var (log, bundle) = SelfHostedBundle(envelope, envelope);
        var raw = PublicKeySignature.Ed25519RawKey(log.PublicKeyDer)!;
        var elsewhere = log with { LogId = LogIds.ForEd25519NoteKey("other.example/log", raw) };
        var claimed = bundle with { Entry = bundle.Entry with { LogId = elsewhere.LogId, SignedEntryTimestamp = null } };

        var e = Assert.Throws<LogVerificationException>(() => new BundleVerifier(new TrustedRoot([elsewhere], [])).Verify(claimed, BundleSigner.Key(key.PublicKeyDer), DateTimeOffset.UtcNow));

        Assert.Contains("checkpoint check failed", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A one-leaf Ed25519 log holding <paramref name="logged"/>, and a bundle that claims <paramref name="claimed"/>.</summary>
    private static (TrustedLog Log, SigstoreBundle Bundle) SelfHostedBundle(DsseEnvelope logged, DsseEnvelope claimed, Func<Checkpoint, Checkpoint>? signed = null)
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var raw = new byte[32];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(seed, 0, raw, 0);
        const string origin = "tlogistry.local/test";
        var log = new TrustedLog("http://127.0.0.1", LogIds.ForEd25519NoteKey(origin, raw), PublicKeySignature.Ed25519Spki(raw), "PKIX_ED25519", DateTimeOffset.UnixEpoch, null);
        var leaf = EmbeddedEntry.Encode(1700000000, logged.ToJson());
        var root = Rfc6962.LeafHash(leaf);
        var checkpoint = NoteOpener.Sign((signed ?? (c => c))(new Checkpoint(origin, 1, root, [])).Format(), new Ed25519NoteSigner(origin, seed));
        var entry = new TlogEntry(0, log.LogId, EmbeddedEntry.Kind, EntryBody.SightingVersion, 1700000000, null, new InclusionProof(0, root, 1, [], checkpoint), leaf);
        entry = entry with { SignedEntryTimestamp = SignedEntryTimestamp.SignEd25519(entry, seed) };
        return (log, new SigstoreBundle(VerificationMaterial.ForKey(""), entry, claimed, null));
    }

    private static byte[] HashedRekordV002(byte[] digest, byte[] signature, byte[] publicKeyDer) => Encoding.UTF8.GetBytes(
        "{\"apiVersion\":\"0.0.2\",\"kind\":\"hashedrekord\",\"spec\":{\"hashedRekordV002\":{\"data\":{\"algorithm\":\"SHA2_256\",\"digest\":\""
        + Convert.ToBase64String(digest) + "\"},\"signature\":{\"content\":\"" + Convert.ToBase64String(signature)
        + "\",\"verifier\":{\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\",\"publicKey\":{\"rawBytes\":\"" + Convert.ToBase64String(publicKeyDer) + "\"}}}}}}");
}
