using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Tlogistry.Signing.Identity;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Signing.Identity;

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

        Assert.Equal(expected.Email is null ? [] : [expected.Email], leaf.Emails);
        Assert.Equal(expected.Uri is null ? [] : [expected.Uri], leaf.Uris);
        Assert.Equal([expected.San], leaf.Identities);
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
    public void IssuerV2IsPreferredOverV1()
    {
        var der = SelfSigned(issuerV1: "https://old.example", issuerV2: "https://new.example");
        Assert.Equal("https://new.example", FulcioCertificate.Read(der).Issuer);
    }

    [Fact]
    public void NoIssuerNoSanNoUsage()
    {
        var leaf = FulcioCertificate.Read(SelfSigned(issuerV1: null, issuerV2: null, san: false));
        Assert.Null(leaf.Issuer);
        Assert.Empty(leaf.Identities);
        Assert.False(leaf.HasCodeSigningUsage);
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
    public void OtherGeneralNamesAreSkipped()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=mixed", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("host.example");
        san.AddEmailAddress("alice@example.com");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        san.AddUri(new Uri("https://example.com/workflow"));
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(10));

        var leaf = FulcioCertificate.Read(cert.RawData);

        Assert.Equal(["alice@example.com"], leaf.Emails);
        Assert.Equal(["https://example.com/workflow"], leaf.Uris);
    }

    private static byte[] SelfSigned(string? issuerV1, string? issuerV2, bool san = true)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=issuer-test", key, HashAlgorithmName.SHA256);
        if (san)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddEmailAddress("alice@example.com");
            request.CertificateExtensions.Add(names.Build());
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
