using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Tests.Transparency.Sigstore.Identity;

public sealed class FulcioCertificateTests
{
    public static TheoryData<string> Leaves => FulcioLeaf.Names;

    [Theory]
    [MemberData(nameof(Leaves))]
    public void ReadsTheSanIssuerAndValidityOfARealLeaf(string name)
    {
        var expected = FulcioLeaf.Get(name);
        var der = expected.LeafDer();

        var leaf = FulcioCertificate.Read(der);

        // The SAN's kind comes from its GeneralName tag: the GitHub Actions workflow URIs hold an "@".
        Assert.Equal(new CertificateIdentity(expected.Email is null ? SanKind.Uri : SanKind.Email, expected.San), leaf.San);
        Assert.Equal(CertificateIdentity.Parse(expected.San), leaf.San);
        Assert.True(leaf.HasDigitalSignatureUsage);
        Assert.Equal(expected.Issuer, leaf.Issuer);
        Assert.Equal(FulcioLeaf.Time(expected.NotBefore), leaf.NotBefore);
        Assert.Equal(FulcioLeaf.Time(expected.NotAfter), leaf.NotAfter);
        Assert.True(leaf.HasCodeSigningUsage);
        Assert.Equal(BodySigner.CertificateKey(der), leaf.PublicKeyDer);
        Assert.Equal(der, leaf.Der);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x30, 0x03, 0x02, 0x01, 0x01 })]
    [InlineData(new byte[] { 0xde, 0xad, 0xbe, 0xef })]
    public void GarbageIsAFormatException(byte[] der)
    {
        var e = Assert.Throws<FormatException>(() => FulcioCertificate.Read(der));
        Assert.Contains("not a DER X.509 certificate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedRealLeafIsAFormatException()
    {
        var der = FulcioLeaf.All[0].LeafDer();
        Assert.Throws<FormatException>(() => FulcioCertificate.Read(der[..(der.Length / 2)]));
    }

    [Fact]
    public void IssuerV1AloneIsReadAsRawUtf8()
    {
        var der = SelfSigned(issuerV1: "https://issuer.one.example", issuerV2: null);
        Assert.Equal("https://issuer.one.example", FulcioCertificate.Read(der).Issuer);
    }

    [Fact]
    public void IssuerExtensionsThatAgreeAreRead()
    {
        var der = SelfSigned(issuerV1: "https://same.example", issuerV2: "https://same.example");
        Assert.Equal("https://same.example", FulcioCertificate.Read(der).Issuer);
    }

    [Fact]
    public void IssuerExtensionsThatDisagreeAreAFormatException()
    {
        var der = SelfSigned(issuerV1: "https://old.example", issuerV2: "https://new.example");
        var e = Assert.Throws<FormatException>(() => FulcioCertificate.Read(der));
        Assert.Contains("issuer extensions disagree", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IssuerV2ThatIsNotAUtf8StringIsAFormatException()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=bad-issuer", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509Extension(FulcioCertificate.IssuerV2Oid, Encoding.UTF8.GetBytes("https://raw.example"), false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(10));

        var e = Assert.Throws<FormatException>(() => FulcioCertificate.Read(cert.RawData));
        Assert.Contains("1.3.6.1.4.1.57264.1.8", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoIssuerIsAFormatException()
    {
        var e = Assert.Throws<FormatException>(() => FulcioCertificate.Read(SelfSigned(issuerV1: null, issuerV2: null)));
        Assert.Contains("names no OIDC issuer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoSanIsAFormatException()
    {
        var e = Assert.Throws<FormatException>(() => FulcioCertificate.Read(SelfSigned(issuerV1: "https://i.example", issuerV2: null, san: _ => { })));
        Assert.Contains("no subject alternative name", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANonCriticalSanIsAFormatException()
    {
        var e = Assert.Throws<FormatException>(() => FulcioCertificate.Read(SelfSigned(issuerV1: "https://i.example", issuerV2: null, san: n => n.AddEmailAddress("alice@example.com"), critical: false)));
        Assert.Contains("not critical", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmailAndAUriTogetherAreAFormatException()
    {
        var e = Assert.Throws<FormatException>(() => FulcioCertificate.Read(SelfSigned(issuerV1: "https://i.example", issuerV2: null, san: n =>
        {
            n.AddEmailAddress("alice@example.com");
            n.AddUri(new Uri("https://example.com/workflow"));
        })));
        Assert.Contains("holds 2 names, not exactly one", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TwoEmailsAreAFormatException()
    {
        var e = Assert.Throws<FormatException>(() => FulcioCertificate.Read(SelfSigned(issuerV1: "https://i.example", issuerV2: null, san: n =>
        {
            n.AddEmailAddress("alice@example.com");
            n.AddEmailAddress("mallory@example.com");
        })));
        Assert.Contains("holds 2 names", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANameOfAnotherTypeIsAFormatException()
    {
        var e = Assert.Throws<FormatException>(() => FulcioCertificate.Read(SelfSigned(issuerV1: "https://i.example", issuerV2: null, san: n =>
        {
            n.AddDnsName("host.example");
            n.AddEmailAddress("alice@example.com");
        })));
        Assert.Contains("another type", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AUriSanIsTypedAsAUriWhateverItHolds()
    {
        var workflow = "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1";
        var leaf = FulcioCertificate.Read(SelfSigned(issuerV1: "https://i.example", issuerV2: null, san: n => n.AddUri(new Uri(workflow))));
        Assert.Equal(new CertificateIdentity(SanKind.Uri, workflow), leaf.San);
        Assert.False(leaf.HasDigitalSignatureUsage);
        Assert.False(leaf.HasCodeSigningUsage);
    }

    private static byte[] SelfSigned(string? issuerV1, string? issuerV2, Action<SubjectAlternativeNameBuilder>? san = null, bool critical = true)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=issuer-test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        (san ?? (n => n.AddEmailAddress("alice@example.com")))(names);
        var built = names.Build(critical);
        if (built.RawData.Length > 2)
        {
            request.CertificateExtensions.Add(built);
        }

        if (issuerV1 is not null)
        {
            request.CertificateExtensions.Add(new X509Extension(FulcioCertificate.IssuerV1Oid, Encoding.UTF8.GetBytes(issuerV1), false));
        }

        if (issuerV2 is not null)
        {
            var w = new AsnWriter(AsnEncodingRules.DER);
            w.WriteCharacterString(UniversalTagNumber.UTF8String, issuerV2);
            request.CertificateExtensions.Add(new X509Extension(FulcioCertificate.IssuerV2Oid, w.Encode(), false));
        }

        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(10));
        return cert.RawData;
    }
}
