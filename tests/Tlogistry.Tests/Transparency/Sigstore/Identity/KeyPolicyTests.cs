using System.Security.Cryptography;
using Tlogistry.Tests.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Tests.Transparency.Sigstore.Identity;

public sealed class KeyPolicyTests
{
    private const string KeyBundle = "rekor-v1-hashedrekord-pubkey";

    [Fact]
    public void TheHintPicksTheRealKeyAmongTwo()
    {
        var real = RealKey();
        var other = NewKey();
        var bundle = SigstoreFixtures.Bundle(KeyBundle);

        foreach (var keys in new[] { new[] { other, real }, new[] { real, other } })
        {
            var policy = new KeyPolicy(keys);
            var signer = policy.ExpectedSigner(bundle);
            Assert.Equal(real, signer.PublicKeyDer);

            var verified = new BundleVerifier(TrustedRoot.PublicGood).Verify(bundle, signer, SigstoreFixtures.Now);
            policy.Check(verified, verified.IntegratedTime!.Value);
        }
    }

    [Fact]
    public void TheHintIsTheBase64Sha256OfTheDerKey()
    {
        var bundle = SigstoreFixtures.Bundle(KeyBundle);
        Assert.Equal("TLMsSDfG3ajPsWge+z/vX5T/zluXnmvbkTkwLIV68Tk=", bundle.Material.PublicKeyHint);
        Assert.Equal(bundle.Material.PublicKeyHint, KeyPolicy.Hint(RealKey()));
    }

    [Fact]
    public void ABundleByAThirdKeyIsRejected()
    {
        var first = NewKey();
        var second = NewKey();
        var bundle = SigstoreFixtures.Bundle(KeyBundle);
        var policy = new KeyPolicy([first, second]);

        // No configured key has the bundle's hint: the first is expected, and verification says why it fails.
        var signer = policy.ExpectedSigner(bundle);
        Assert.Equal(first, signer.PublicKeyDer);
        var e = Assert.Throws<LogVerificationException>(() => new BundleVerifier(TrustedRoot.PublicGood).Verify(bundle, signer, SigstoreFixtures.Now));
        Assert.Contains("signature check failed", e.Message, StringComparison.Ordinal);

        // A bundle verified some other way is still not ours.
        var verified = new BundleVerifier(TrustedRoot.PublicGood).Verify(bundle, SigstoreFixtures.SignerFor(KeyBundle), SigstoreFixtures.Now);
        var refused = Assert.Throws<LogVerificationException>(() => policy.Check(verified, verified.IntegratedTime!.Value));
        Assert.Equal(
            $"signer check failed: key {KeyPolicy.Hint(RealKey())} is not one of the configured keys ({KeyPolicy.Hint(first)}, {KeyPolicy.Hint(second)})",
            refused.Message);
    }

    [Fact]
    public void AHintNamingAnotherConfiguredKeyStillFailsVerification()
    {
        var real = RealKey();
        var other = NewKey();
        var genuine = SigstoreFixtures.Bundle(KeyBundle);
        var lying = genuine with { Material = VerificationMaterial.ForKey(KeyPolicy.Hint(other)) };
        var policy = new KeyPolicy([real, other]);

        var signer = policy.ExpectedSigner(lying);
        Assert.Equal(other, signer.PublicKeyDer);
        Assert.Throws<LogVerificationException>(() => new BundleVerifier(TrustedRoot.PublicGood).Verify(lying, signer, SigstoreFixtures.Now));
    }

    [Theory]
    [MemberData(nameof(CertificatePolicyTests.Leaves), MemberType = typeof(CertificatePolicyTests))]
    public void ABundleWithACertificateIsRefused(string name)
    {
        var bundle = FulcioLeaf.Get(name).Bundle();
        var policy = new KeyPolicy([RealKey()]);

        var e = Assert.Throws<LogVerificationException>(() => policy.ExpectedSigner(bundle));
        Assert.Contains("signer check failed: the bundle carries a certificate", e.Message, StringComparison.Ordinal);

        var verified = new BundleVerifier(TrustedRoot.PublicGood).Verify(bundle, BundleSigner.AnyCertificate, FulcioLeaf.Time(FulcioLeaf.Get(name).SignedAt));
        e = Assert.Throws<LogVerificationException>(() => policy.Check(verified, FulcioLeaf.Time(FulcioLeaf.Get(name).SignedAt)));
        Assert.StartsWith("signer check failed: the bundle was signed with a certificate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AtLeastOneKeyIsNeeded() =>
        Assert.Throws<ArgumentException>(() => new KeyPolicy([]));

    [Fact]
    public void DescribeNamesTheKeysByHint()
    {
        var a = NewKey();
        var b = NewKey();
        Assert.Equal("key " + KeyPolicy.Hint(a), new KeyPolicy([a]).Describe);
        Assert.Equal($"keys {KeyPolicy.Hint(a)}, {KeyPolicy.Hint(b)}", new KeyPolicy([a, b]).Describe);
    }

    private static byte[] RealKey() => SigstoreFixtures.SignerFor(KeyBundle).PublicKeyDer!;

    private static byte[] NewKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportSubjectPublicKeyInfo();
    }
}
