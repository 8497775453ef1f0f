using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Tlogistry.Signing.Keyless;

namespace Tlogistry.Tests.Keyless;

public sealed class FulcioCertificateTests
{
    private static X509Certificate2 Certificate(Action<SubjectAlternativeNameBuilder>? san, string? v1, string? v2)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(""), key, HashAlgorithmName.SHA256);
        if (san is not null)
        {
            var builder = new SubjectAlternativeNameBuilder();
            san(builder);
            request.CertificateExtensions.Add(builder.Build(critical: true));
        }

        if (v1 is not null)
        {
            request.CertificateExtensions.Add(new X509Extension(FulcioCertificate.IssuerV1Oid, Encoding.UTF8.GetBytes(v1), false));
        }

        if (v2 is not null)
        {
            var w = new AsnWriter(AsnEncodingRules.DER);
            w.WriteCharacterString(UniversalTagNumber.UTF8String, v2);
            request.CertificateExtensions.Add(new X509Extension(FulcioCertificate.IssuerV2Oid, w.Encode(), false));
        }

        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(10));
    }

    [Fact]
    public void The_v2_issuer_wins_over_v1()
    {
        using var cert = Certificate(b => b.AddEmailAddress("alice@example.com"), "https://v1.example", "https://v2.example");
        Assert.Equal("email:alice@example.com;issuer=https://v2.example", FulcioCertificate.Read(cert).Identity);
    }

    [Fact]
    public void The_v1_issuer_is_read_when_alone()
    {
        using var cert = Certificate(b => b.AddUri(new Uri("https://github.com/org/app/.github/workflows/ci.yml@refs/tags/v1")), "https://token.actions.githubusercontent.com", null);
        var read = FulcioCertificate.Read(cert);
        Assert.Equal(FulcioSanKind.Uri, read.SanKind);
        Assert.Equal("https://github.com/org/app/.github/workflows/ci.yml@refs/tags/v1", read.San);
        Assert.Equal("https://token.actions.githubusercontent.com", read.Issuer);
    }

    [Fact]
    public void A_dns_name_is_skipped_for_the_email_after_it()
    {
        using var cert = Certificate(b => { b.AddDnsName("host.example"); b.AddEmailAddress("bob@example.com"); }, null, "https://issuer.example");
        Assert.Equal("bob@example.com", FulcioCertificate.Read(cert).San);
    }

    [Fact]
    public void Certificates_without_issuer_or_identity_are_refused()
    {
        using var noIssuer = Certificate(b => b.AddEmailAddress("alice@example.com"), null, null);
        Assert.Throws<FormatException>(() => FulcioCertificate.Read(noIssuer));
        using var noSan = Certificate(null, null, "https://issuer.example");
        Assert.Throws<FormatException>(() => FulcioCertificate.Read(noSan));
    }
}
