using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Tests.Transparency.Sigstore.Identity;

/// <summary>
/// What Fulcio's certificate specification requires beyond the chain: one critical SAN, issuer
/// extensions that agree, digitalSignature and code signing along the chain, an SCT from a
/// trusted CT log; and that a stranger's certificate fails on the cheap checks, before any
/// chain is built.
/// </summary>
public sealed class CertificateShapeTests
{
    private const string Issuer = "https://issuer.example";

    private static readonly DateTimeOffset At = TestPki.Start.AddMinutes(1);

    [Fact]
    public void AStrangersCertificateFailsOnIdentityBeforeAnyChainIsBuilt()
    {
        using var pki = new TestPki();
        using var untrusted = new TestPki("untrusted");
        var (der, key) = untrusted.Leaf(email: "mallory@example.com");

        // The CA is not trusted either, but the cheap identity check answers first.
        var e = Assert.Throws<LogVerificationException>(() => Policy(pki.TrustedRoot()).Check(TestPki.Verified(der, key), At));
        Assert.Equal("certificate identity check failed: SAN is email:mallory@example.com not email:alice@example.com", e.Message);

        var (sameName, sameKey) = untrusted.Leaf(issuer: "https://other-issuer.example");
        e = Assert.Throws<LogVerificationException>(() => Policy(pki.TrustedRoot()).Check(TestPki.Verified(sameName, sameKey), At));
        Assert.StartsWith("certificate issuer check failed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AUriSanNeverMatchesAnEmailIdentityOfTheSameText()
    {
        using var pki = new TestPki();
        var (der, key) = pki.Leaf(alter: r => ReplaceSan(r, n => n.AddUri(new Uri("mailto:alice@example.com"))));
        var policy = new CertificatePolicy(pki.TrustedRoot(), new CertificateIdentity(SanKind.Email, "mailto:alice@example.com"), Issuer);

        var e = Assert.Throws<LogVerificationException>(() => policy.Check(TestPki.Verified(der, key), At));
        Assert.StartsWith("certificate identity check failed: SAN is uri:mailto:alice@example.com not email:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASecondSanIsRefused()
    {
        using var pki = new TestPki();
        var (der, key) = pki.Leaf(alter: r => ReplaceSan(r, n =>
        {
            n.AddEmailAddress("alice@example.com");
            n.AddUri(new Uri("https://github.com/mallory/app/.github/workflows/x.yml@refs/heads/main"));
        }));

        var e = Assert.Throws<LogVerificationException>(() => Policy(pki.TrustedRoot()).Check(TestPki.Verified(der, key), At));
        Assert.Equal("certificate check failed: certificate subject alternative name holds 2 names, not exactly one", e.Message);
    }

    [Fact]
    public void ANonCriticalSanIsRefused()
    {
        using var pki = new TestPki();
        var (der, key) = pki.Leaf(alter: r => ReplaceSan(r, n => n.AddEmailAddress("alice@example.com"), critical: false));

        var e = Assert.Throws<LogVerificationException>(() => Policy(pki.TrustedRoot()).Check(TestPki.Verified(der, key), At));
        Assert.Equal("certificate check failed: certificate subject alternative name is not critical", e.Message);
    }

    [Fact]
    public void IssuerExtensionsThatDisagreeAreRefused()
    {
        using var pki = new TestPki();
        var (der, key) = pki.Leaf(alter: r =>
        {
            Remove(r, FulcioCertificate.IssuerV1Oid);
            r.CertificateExtensions.Add(new X509Extension(FulcioCertificate.IssuerV1Oid, "https://evil.example"u8.ToArray(), false));
        });

        var e = Assert.Throws<LogVerificationException>(() => Policy(pki.TrustedRoot()).Check(TestPki.Verified(der, key), At));
        Assert.Contains("issuer extensions disagree", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALeafWithoutDigitalSignatureUsageIsRefused()
    {
        using var pki = new TestPki();
        var (der, key) = pki.Leaf(alter: r =>
        {
            Remove(r, "2.5.29.15");
            r.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment, true));
        });

        var e = Assert.Throws<LogVerificationException>(() => Policy(pki.TrustedRoot()).Check(TestPki.Verified(der, key), At));
        Assert.Equal("certificate usage check failed: the certificate does not allow digital signatures for code signing", e.Message);
    }

    [Fact]
    public void AnIntermediateRestrictedToAnotherUsageBreaksTheChain()
    {
        using var pki = new TestPki(intermediateCodeSigning: false);
        var (der, key) = pki.Leaf();

        var e = Assert.Throws<LogVerificationException>(() => Policy(pki.TrustedRoot()).Check(TestPki.Verified(der, key), At));
        Assert.StartsWith("certificate chain check failed", e.Message, StringComparison.Ordinal);
        Assert.Contains("does not allow code signing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALeafWithItsSctPassesAndOneWithoutIsRefusedUnlessTheOperatorOptedOut()
    {
        using var pki = new TestPki();
        var (with, withKey) = pki.Leaf();
        Policy(pki.TrustedRoot()).Check(TestPki.Verified(with, withKey), At);

        var (without, withoutKey) = pki.Leaf(sct: false);
        var e = Assert.Throws<LogVerificationException>(() => Policy(pki.TrustedRoot()).Check(TestPki.Verified(without, withoutKey), At));
        Assert.Equal("certificate transparency check failed: the certificate carries no SCT (1.3.6.1.4.1.11129.2.4.2)", e.Message);

        CertificatePolicy.WithoutSctUnsafe(pki.TrustedRoot(), new CertificateIdentity(SanKind.Email, "alice@example.com"), Issuer)
            .Check(TestPki.Verified(without, withoutKey), At);
    }

    [Fact]
    public void AnSctThatDoesNotMatchItsSignatureIsRefused()
    {
        using var pki = new TestPki();
        var (der, key) = pki.Leaf(tamperSct: true);

        var e = Assert.Throws<LogVerificationException>(() => Policy(pki.TrustedRoot()).Check(TestPki.Verified(der, key), At));
        Assert.StartsWith("certificate transparency check failed: no SCT verifies against a trusted CT log", e.Message, StringComparison.Ordinal);
        Assert.Contains("the signature does not verify", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnSctFromACtLogTheRootDoesNotNameIsRefused()
    {
        using var pki = new TestPki();
        using var otherLog = new TestCtLog(TestPki.Start.AddYears(-1));
        var (der, key) = pki.Leaf();
        var root = new TrustedRoot(TrustedRoot.PublicGood.Logs, [pki.Authority()], [otherLog.Describe()]);

        var e = Assert.Throws<LogVerificationException>(() => Policy(root).Check(TestPki.Verified(der, key), At));
        Assert.Contains("not a trusted CT log", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnSctMadeOutsideItsCtLogsWindowIsRefused()
    {
        using var pki = new TestPki();
        var (der, key) = pki.Leaf();
        var ended = pki.CtLog.Describe() with { ValidUntil = TestPki.Start.AddSeconds(-1) };
        var root = new TrustedRoot(TrustedRoot.PublicGood.Logs, [pki.Authority()], [ended]);

        var e = Assert.Throws<LogVerificationException>(() => Policy(root).Check(TestPki.Verified(der, key), At));
        Assert.Contains("outside the log's validity", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(CertificatePolicyTests.Leaves), MemberType = typeof(CertificatePolicyTests))]
    public void RealPublicGoodLeavesCarryAnSctThatVerifiesOnlyAgainstThePublicGoodCtLogs(string name)
    {
        var leaf = FulcioLeaf.Get(name);
        var der = leaf.LeafDer();
        var intermediate = TrustedRoot.PublicGood.CertificateAuthorities.Single(ca => ca.Certificates.Count == 2).Certificates[0];
        using var issuer = X509CertificateLoader.LoadCertificate(intermediate);
        var issuerKey = issuer.PublicKey.ExportSubjectPublicKeyInfo();

        Assert.Null(SctVerifier.VerifyEmbedded(der, issuerKey, TrustedRoot.PublicGood.CtLogs));
        Assert.Contains("not a trusted CT log", SctVerifier.VerifyEmbedded(der, issuerKey, []) ?? "", StringComparison.Ordinal);

        // The same SCT over another issuer's key is not the precertificate the log signed.
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Contains("the signature does not verify", SctVerifier.VerifyEmbedded(der, other.ExportSubjectPublicKeyInfo(), TrustedRoot.PublicGood.CtLogs) ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public void ADetachedSctVerifiesOverTheFinalCertificate()
    {
        using var pki = new TestPki();
        var (der, _) = pki.Leaf(sct: false);
        var logs = new[] { pki.CtLog.Describe() };

        Assert.Null(SctVerifier.VerifyDetached(der, pki.CtLog.DetachedSct(der, TestPki.Start), logs));
        Assert.Contains("the signature does not verify", SctVerifier.VerifyDetached(der, pki.CtLog.DetachedSct(der, TestPki.Start, tamper: true), logs) ?? "", StringComparison.Ordinal);
        var (another, _) = pki.Leaf(sct: false);
        Assert.Contains("the signature does not verify", SctVerifier.VerifyDetached(another, pki.CtLog.DetachedSct(der, TestPki.Start), logs) ?? "", StringComparison.Ordinal);
        Assert.Contains("malformed", SctVerifier.VerifyDetached(der, "{}"u8.ToArray(), logs) ?? "", StringComparison.Ordinal);
    }

    private static CertificatePolicy Policy(TrustedRoot root) => new(root, new CertificateIdentity(SanKind.Email, "alice@example.com"), Issuer);

    private static void ReplaceSan(CertificateRequest request, Action<SubjectAlternativeNameBuilder> names, bool critical = true)
    {
        Remove(request, "2.5.29.17");
        var builder = new SubjectAlternativeNameBuilder();
        names(builder);
        request.CertificateExtensions.Add(builder.Build(critical));
    }

    private static void Remove(CertificateRequest request, string oid)
    {
        for (var i = request.CertificateExtensions.Count - 1; i >= 0; i--)
        {
            if (request.CertificateExtensions[i].Oid?.Value == oid)
            {
                request.CertificateExtensions.RemoveAt(i);
            }
        }
    }
}
