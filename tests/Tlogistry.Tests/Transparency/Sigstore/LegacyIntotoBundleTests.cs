using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tlogistry.Transparency.Rekor;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Transparency.Sigstore;

/// <summary>
/// A bundle made from a real intoto 0.0.1 entry, which keeps no signature: the log's SET is
/// what vouches that the statement was signed by the key the body names, so it counts only
/// for the legacy log and key the operator named.
/// </summary>
public sealed class LegacyIntotoBundleTests
{
    private const string File = "rekor-v1-intoto-v001-logentry.json";

    [Fact]
    public void BundleOfAnUnsignedEnvelopeVerifiesOnTheLogsWord()
    {
        var (bundle, key) = Build();

        var verified = Legacy(bundle, key).Verify(bundle, BundleSigner.Key(key), DateTimeOffset.UtcNow);

        Assert.Equal(key, verified.SignerKeyDer);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(bundle.Entry.IntegratedTime), verified.Entry.IntegratedTime);
        Assert.Same(bundle.Envelope, verified.Envelope);
        Assert.Empty(verified.Envelope!.Signatures);
    }

    [Fact]
    public void WithoutANamedLegacyLogAndKeyAnUnsignedEntryNeverVerifies()
    {
        var (bundle, key) = Build();
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        foreach (var verifier in new[]
        {
            new BundleVerifier(TrustedRoot.PublicGood),
            new BundleVerifier(TrustedRoot.PublicGood, new LegacyTrustUnsafe(new byte[32], key)),
            new BundleVerifier(TrustedRoot.PublicGood, new LegacyTrustUnsafe(bundle.Entry.LogId, stranger.ExportSubjectPublicKeyInfo())),
        })
        {
            var e = Assert.Throws<LogVerificationException>(() => verifier.Verify(bundle, BundleSigner.Key(key), Now(bundle)));
            Assert.Contains("--legacy-log", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void WithoutItsSignedEntryTimestampNothingVouchesForIt()
    {
        var (bundle, key) = Build();
        // The index is set to the proof's too, so that only the missing SET is wrong.
        var unvouched = bundle with { Entry = bundle.Entry with { SignedEntryTimestamp = null, LogIndex = bundle.Entry.InclusionProof!.LogIndex } };

        var e = Assert.Throws<LogVerificationException>(() => Legacy(bundle, key).Verify(unvouched, BundleSigner.Key(key), Now(bundle)));

        Assert.Contains("signed entry timestamp", e.Message, StringComparison.Ordinal);

        // With the shard's global index and no SET, nothing binds the index: refused as well.
        var unbound = bundle with { Entry = bundle.Entry with { SignedEntryTimestamp = null } };
        var u = Assert.Throws<LogVerificationException>(() => Legacy(bundle, key).Verify(unbound, BundleSigner.Key(key), Now(bundle)));
        Assert.Contains("claims index", u.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PayloadChangedByOneByteIsRejected()
    {
        var (bundle, key) = Build();
        var changed = bundle with { Envelope = bundle.Envelope! with { Payload = SigstoreFixtures.Flip(bundle.Envelope.Payload, 10) } };

        var e = Assert.Throws<LogVerificationException>(() => Legacy(bundle, key).Verify(changed, BundleSigner.Key(key), Now(bundle)));

        Assert.Contains("body check failed", e.Message, StringComparison.Ordinal);
        Assert.Contains("payload hash", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnotherExpectedKeyIsRejected()
    {
        var (bundle, key) = Build();
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var e = Assert.Throws<LogVerificationException>(() => Legacy(bundle, key).Verify(bundle, BundleSigner.Key(other.ExportSubjectPublicKeyInfo()), Now(bundle)));

        // Not the legacy key: the log's word for it does not count.
        Assert.Contains("signature check failed", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A verifier told to honour the fixture's log and key as legacy.</summary>
    private static BundleVerifier Legacy(SigstoreBundle bundle, byte[] key) => new(TrustedRoot.PublicGood, new LegacyTrustUnsafe(bundle.Entry.LogId, key));

    private static DateTimeOffset Now(SigstoreBundle bundle) => DateTimeOffset.FromUnixTimeSeconds(bundle.Entry.IntegratedTime);

    /// <summary>The key-mode bundle of the fixture entry, and the key its body names (DER, from the body's PEM).</summary>
    private static (SigstoreBundle Bundle, byte[] Key) Build()
    {
        var record = Assert.Single(RekorV1Entries.ReadLogEntry(SigstoreFixtures.RestLogEntry(File))).Record;
        var envelope = Assert.IsType<Tlogistry.Transparency.Envelopes.DsseEnvelope>(record.Envelope);
        Assert.Empty(envelope.Signatures);

        using var body = JsonDocument.Parse(record.Entry.CanonicalizedBody);
        var pem = Encoding.UTF8.GetString(Convert.FromBase64String(body.RootElement.GetProperty("spec").GetProperty("publicKey").GetString()!));
        using var key = ECDsa.Create();
        key.ImportFromPem(pem);
        var der = key.ExportSubjectPublicKeyInfo();

        var hint = Convert.ToHexStringLower(SHA256.HashData(der));
        return (new SigstoreBundle(VerificationMaterial.ForKey(hint), record.Entry, envelope, null), der);
    }
}
