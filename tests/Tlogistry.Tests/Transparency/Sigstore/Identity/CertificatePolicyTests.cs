using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Tests.Transparency.Sigstore.Identity;

public sealed class CertificatePolicyTests
{
    public static TheoryData<string> Leaves => FulcioLeaf.Names;

    [Theory]
    [MemberData(nameof(Leaves))]
    public void RealKeylessBundlePassesAtTheLogTime(string name)
    {
        var leaf = FulcioLeaf.Get(name);
        var (policy, verified, time) = VerifyReal(leaf, TrustedRoot.PublicGood);

        policy.Check(verified, time);
    }

    [Theory]
    [MemberData(nameof(Leaves))]
    public void AnotherSanIsRejected(string name)
    {
        var leaf = FulcioLeaf.Get(name);
        var (_, verified, time) = VerifyReal(leaf, TrustedRoot.PublicGood);
        var policy = Policy(TrustedRoot.PublicGood, "mallory@example.com", leaf.Issuer);

        var e = Assert.Throws<LogVerificationException>(() => policy.Check(verified, time));
        Assert.Equal($"certificate identity check failed: SAN is {CertificateIdentity.Parse(leaf.San)} not email:mallory@example.com", e.Message);
    }

    [Theory]
    [MemberData(nameof(Leaves))]
    public void ASanThatOnlyStartsTheSameIsRejected(string name)
    {
        var leaf = FulcioLeaf.Get(name);
        var (_, verified, time) = VerifyReal(leaf, TrustedRoot.PublicGood);
        var policy = Policy(TrustedRoot.PublicGood, leaf.San[..^1], leaf.Issuer);

        var e = Assert.Throws<LogVerificationException>(() => policy.Check(verified, time));
        Assert.StartsWith("certificate identity check failed", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Leaves))]
    public void AnotherIssuerIsRejected(string name)
    {
        var leaf = FulcioLeaf.Get(name);
        var (_, verified, time) = VerifyReal(leaf, TrustedRoot.PublicGood);
        var other = leaf.Issuer == FulcioLeaf.GitHubOAuth ? FulcioLeaf.GitHubActions : FulcioLeaf.GitHubOAuth;
        var policy = Policy(TrustedRoot.PublicGood, leaf.San, other);

        var e = Assert.Throws<LogVerificationException>(() => policy.Check(verified, time));
        Assert.Equal($"certificate issuer check failed: issuer is {leaf.Issuer} not {other}", e.Message);
    }

    [Theory]
    [MemberData(nameof(Leaves))]
    public void ATimeAfterTheLeafExpiredIsRejected(string name)
    {
        var leaf = FulcioLeaf.Get(name);
        var (policy, verified, _) = VerifyReal(leaf, TrustedRoot.PublicGood);

        var e = Assert.Throws<LogVerificationException>(() => policy.Check(verified, FulcioLeaf.Time(leaf.NotAfter).AddSeconds(1)));
        Assert.StartsWith("certificate validity check failed", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Leaves))]
    public void ATimeBeforeTheLeafIsRejected(string name)
    {
        var leaf = FulcioLeaf.Get(name);
        var (policy, verified, _) = VerifyReal(leaf, TrustedRoot.PublicGood);

        var e = Assert.Throws<LogVerificationException>(() => policy.Check(verified, FulcioLeaf.Time(leaf.NotBefore).AddSeconds(-1)));
        Assert.StartsWith("certificate validity check failed", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Leaves))]
    public void ARootWithoutCertificateAuthoritiesIsRejected(string name)
    {
        var leaf = FulcioLeaf.Get(name);
        var root = new TrustedRoot(TrustedRoot.PublicGood.Logs, []);
        var (policy, verified, time) = VerifyReal(leaf, root);

        var e = Assert.Throws<LogVerificationException>(() => policy.Check(verified, time));
        Assert.Equal("certificate chain check failed: the trusted root has no certificate authorities", e.Message);
    }

    [Theory]
    [MemberData(nameof(Leaves))]
    public void OnlyTheOtherFulcioCaIsRejected(string name)
    {
        var leaf = FulcioLeaf.Get(name);
        var old = TrustedRoot.PublicGood.CertificateAuthorities.Single(ca => ca.Certificates.Count == 1);
        var (policy, verified, time) = VerifyReal(leaf, new TrustedRoot(TrustedRoot.PublicGood.Logs, [old]));

        var e = Assert.Throws<LogVerificationException>(() => policy.Check(verified, time));
        Assert.StartsWith("certificate chain check failed: no trusted certificate authority issued the certificate", e.Message, StringComparison.Ordinal);
        Assert.Contains("outside its validity", e.Message, StringComparison.Ordinal);

        // The same CA trusted for all time still does not issue these leaves: the chain itself fails.
        var forever = old with { ValidFrom = DateTimeOffset.UnixEpoch, ValidUntil = null };
        var chainOnly = Policy(new TrustedRoot(TrustedRoot.PublicGood.Logs, [forever]), leaf.San, leaf.Issuer);
        e = Assert.Throws<LogVerificationException>(() => chainOnly.Check(verified, time));
        Assert.StartsWith("certificate chain check failed: no trusted certificate authority issued the certificate", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("outside its validity", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Leaves))]
    public void TheCurrentFulcioCaWindowMustContainTheTime(string name)
    {
        var leaf = FulcioLeaf.Get(name);
        var current = TrustedRoot.PublicGood.CertificateAuthorities.Single(ca => ca.Certificates.Count == 2);
        var ended = current with { ValidUntil = FulcioLeaf.Time(leaf.NotBefore).AddDays(-1) };
        var (policy, verified, time) = VerifyReal(leaf, new TrustedRoot(TrustedRoot.PublicGood.Logs, [ended]));

        var e = Assert.Throws<LogVerificationException>(() => policy.Check(verified, time));
        Assert.Contains("outside its validity", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownTimeIsRefused()
    {
        var leaf = FulcioLeaf.All[0];
        var (policy, verified, _) = VerifyReal(leaf, TrustedRoot.PublicGood);

        var e = Assert.Throws<LogVerificationException>(() => policy.Check(verified, DateTimeOffset.UnixEpoch));
        Assert.StartsWith("certificate time check failed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AKeyModeBundleIsRefused()
    {
        var bundle = Tlogistry.Tests.Transparency.Sigstore.SigstoreFixtures.Bundle("rekor-v1-hashedrekord-pubkey");
        var signer = Tlogistry.Tests.Transparency.Sigstore.SigstoreFixtures.SignerFor("rekor-v1-hashedrekord-pubkey");
        var verified = new BundleVerifier(TrustedRoot.PublicGood).Verify(bundle, signer, Tlogistry.Tests.Transparency.Sigstore.SigstoreFixtures.Now);
        var policy = Policy(TrustedRoot.PublicGood, "alice@example.com", FulcioLeaf.GitHubOAuth);

        var e = Assert.Throws<LogVerificationException>(() => policy.Check(verified, verified.IntegratedTime!.Value));
        Assert.StartsWith("certificate check failed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExpectedSignerIsAnyCertificate()
    {
        var policy = Policy(TrustedRoot.PublicGood, "alice@example.com", FulcioLeaf.GitHubOAuth);
        Assert.Same(BundleSigner.AnyCertificate, policy.ExpectedSigner(FulcioLeaf.All[0].Bundle()));
        Assert.Equal("certificate for email:alice@example.com from https://github.com/login/oauth", policy.Describe);
    }

    [Fact]
    public void GeneratedChainPasses()
    {
        using var pki = new TestPki();
        var (der, key) = pki.Leaf();
        var policy = Policy(pki.TrustedRoot(), "alice@example.com", "https://issuer.example");

        policy.Check(TestPki.Verified(der, key), TestPki.Start.AddMinutes(1));
    }

    [Fact]
    public void GeneratedChainUnderAnotherRootIsRejected()
    {
        using var pki = new TestPki();
        using var other = new TestPki("other");
        var (der, key) = pki.Leaf();
        var policy = Policy(other.TrustedRoot(), "alice@example.com", "https://issuer.example");

        var e = Assert.Throws<LogVerificationException>(() => policy.Check(TestPki.Verified(der, key), TestPki.Start.AddMinutes(1)));
        Assert.StartsWith("certificate chain check failed: no trusted certificate authority issued the certificate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GeneratedChainWithTheRightIntermediateButAnotherRootIsRejected()
    {
        using var pki = new TestPki();
        using var other = new TestPki("other");
        var (der, key) = pki.Leaf();
        var mixed = new CertificateAuthority("tlogistry-test", "mixed", "https://fulcio.test", [pki.Intermediate.RawData, other.Root.RawData], TestPki.Start.AddYears(-1), null);
        var policy = Policy(pki.TrustedRoot(mixed), "alice@example.com", "https://issuer.example");

        var e = Assert.Throws<LogVerificationException>(() => policy.Check(TestPki.Verified(der, key), TestPki.Start.AddMinutes(1)));
        Assert.StartsWith("certificate chain check failed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GeneratedChainPassesWhenAnotherCaIsListedFirst()
    {
        using var pki = new TestPki();
        using var other = new TestPki("other");
        var (der, key) = pki.Leaf();
        var policy = Policy(pki.TrustedRoot(other.Authority(), pki.Authority()), "alice@example.com", "https://issuer.example");

        policy.Check(TestPki.Verified(der, key), TestPki.Start.AddMinutes(1));
    }

    [Fact]
    public void GeneratedLeafWithoutCodeSigningIsRejected()
    {
        using var pki = new TestPki();
        var (der, key) = pki.Leaf(codeSigning: false);
        var policy = Policy(pki.TrustedRoot(), "alice@example.com", "https://issuer.example");

        var e = Assert.Throws<LogVerificationException>(() => policy.Check(TestPki.Verified(der, key), TestPki.Start.AddMinutes(1)));
        Assert.Equal("certificate usage check failed: the certificate does not allow digital signatures for code signing", e.Message);
    }

    [Fact]
    public void GeneratedLeafSignedWithAnotherKeyIsRejected()
    {
        using var pki = new TestPki();
        var (der, _) = pki.Leaf();
        var (_, otherKey) = pki.Leaf();
        var policy = Policy(pki.TrustedRoot(), "alice@example.com", "https://issuer.example");

        var e = Assert.Throws<LogVerificationException>(() => policy.Check(TestPki.Verified(der, otherKey), TestPki.Start.AddMinutes(1)));
        Assert.StartsWith("certificate key check failed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GeneratedLeafIdentityAndIssuerAreComparedExactly()
    {
        using var pki = new TestPki();
        var (der, key) = pki.Leaf();
        var verified = TestPki.Verified(der, key);
        var at = TestPki.Start.AddMinutes(1);

        Assert.Throws<LogVerificationException>(() => Policy(pki.TrustedRoot(), "Alice@example.com", "https://issuer.example").Check(verified, at));
        Assert.Throws<LogVerificationException>(() => Policy(pki.TrustedRoot(), "alice@example.com", "https://issuer.example/").Check(verified, at));
    }

    [Fact]
    public void GarbageCertificateIsRejected()
    {
        using var pki = new TestPki();
        var policy = Policy(pki.TrustedRoot(), "alice@example.com", "https://issuer.example");

        var e = Assert.Throws<LogVerificationException>(() => policy.Check(TestPki.Verified([0x30, 0x00], [0x30, 0x00]), TestPki.Start.AddMinutes(1)));
        Assert.StartsWith("certificate check failed: not a DER X.509 certificate", e.Message, StringComparison.Ordinal);
    }

    private static CertificatePolicy Policy(TrustedRoot root, string san, string issuer) => new(root, CertificateIdentity.Parse(san), issuer);

    /// <summary>Verifies a real bundle as a keyless caller would, and returns the time to check it at.</summary>
    private static (CertificatePolicy Policy, VerifiedBundle Verified, DateTimeOffset Time) VerifyReal(FulcioLeaf leaf, TrustedRoot root)
    {
        var policy = Policy(root, leaf.San, leaf.Issuer);
        var bundle = leaf.Bundle();
        var signedAt = FulcioLeaf.Time(leaf.SignedAt);
        var verified = new BundleVerifier(TrustedRoot.PublicGood).Verify(bundle, policy.ExpectedSigner(bundle), signedAt);
        if (leaf.IsV2)
        {
            Assert.Null(verified.IntegratedTime);
        }
        else
        {
            Assert.Equal(signedAt, verified.IntegratedTime);
        }

        Assert.NotNull(verified.LeafCertificateDer);
        return (policy, verified, verified.IntegratedTime ?? signedAt);
    }
}
