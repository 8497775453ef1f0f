using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Tests.Transparency.Sigstore.Identity;

/// <summary>
/// A small Fulcio look-alike made in the test: root → intermediate → leaf, the leaf with an
/// empty subject, a critical SAN, both issuer extensions and an embedded SCT from its CT log,
/// as Fulcio issues them.
/// </summary>
internal sealed class TestPki : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly ECDsa rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 intermediateWithKey;

    public TestPki(string name = "test", bool intermediateCodeSigning = true)
    {
        var rootRequest = new CertificateRequest($"O=tlogistry-test, CN={name}-root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        Root = rootRequest.CreateSelfSigned(Start.AddYears(-1), Start.AddYears(10));

        var intermediateRequest = new CertificateRequest($"O=tlogistry-test, CN={name}-intermediate", intermediateKey, HashAlgorithmName.SHA256);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        intermediateRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(intermediateCodeSigning ? "1.3.6.1.5.5.7.3.3" : "1.3.6.1.5.5.7.3.1")], false));
        intermediateRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(intermediateRequest.PublicKey, false));
        intermediateRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        Intermediate = intermediateRequest.Create(Root, Start.AddYears(-1), Start.AddYears(5), [1]);
        intermediateWithKey = Intermediate.CopyWithPrivateKey(intermediateKey);
    }

    public X509Certificate2 Root { get; }

    public X509Certificate2 Intermediate { get; }

    /// <summary>The CT log whose SCTs the leaves carry.</summary>
    public TestCtLog CtLog { get; } = new(Start.AddYears(-1));

    /// <summary>The CA as a trusted root lists it: intermediate first, root last.</summary>
    public CertificateAuthority Authority(DateTimeOffset? validFrom = null, DateTimeOffset? validUntil = null) =>
        new("tlogistry-test", "test", "https://fulcio.test", [Intermediate.RawData, Root.RawData], validFrom ?? Start.AddYears(-1), validUntil);

    public TrustedRoot TrustedRoot(params CertificateAuthority[] authorities) =>
        new(global::Tlogistry.Transparency.Sigstore.TrustedRoot.PublicGood.Logs, authorities.Length == 0 ? [Authority()] : authorities, [CtLog.Describe()]);

    /// <summary>
    /// A ten-minute leaf from <see cref="Start"/>, with its key. <paramref name="alter"/> changes
    /// the request before it is issued (another SAN, another key usage, …); <paramref name="sct"/>
    /// false leaves the SCT out, as a CA that skipped the CT log would.
    /// </summary>
    public (byte[] Der, byte[] KeyDer) Leaf(string email = "alice@example.com", string issuer = "https://issuer.example", bool codeSigning = true, bool sct = true, Action<CertificateRequest>? alter = null, bool tamperSct = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(""), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        if (codeSigning)
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(FulcioCertificate.CodeSigningOid)], false));
        }
        else
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        }

        var san = new SubjectAlternativeNameBuilder();
        san.AddEmailAddress(email);
        request.CertificateExtensions.Add(san.Build(critical: true));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Intermediate, true, false));
        request.CertificateExtensions.Add(new X509Extension(FulcioCertificate.IssuerV1Oid, Encoding.UTF8.GetBytes(issuer), false));
        var w = new AsnWriter(AsnEncodingRules.DER);
        w.WriteCharacterString(UniversalTagNumber.UTF8String, issuer);
        request.CertificateExtensions.Add(new X509Extension(FulcioCertificate.IssuerV2Oid, w.Encode(), false));

        alter?.Invoke(request);
        if (sct)
        {
            return (CtLog.IssueWithEmbeddedSct(request, intermediateWithKey, Start, Start.AddMinutes(10), [2, 3], Start, tamperSct), key.ExportSubjectPublicKeyInfo());
        }

        using var leaf = request.Create(intermediateWithKey, Start, Start.AddMinutes(10), [2, 3]);
        return (leaf.RawData, key.ExportSubjectPublicKeyInfo());
    }

    /// <summary>What the bundle verifier returns for a bundle signed with this leaf.</summary>
    public static VerifiedBundle Verified(byte[] leafDer, byte[] keyDer) =>
        new(new VerifiedEntry(global::Tlogistry.Transparency.Sigstore.TrustedRoot.PublicGood.Logs[0], Start.AddMinutes(1), null), keyDer, leafDer, null, null);

    public void Dispose()
    {
        CtLog.Dispose();
        intermediateWithKey.Dispose();
        Intermediate.Dispose();
        Root.Dispose();
        intermediateKey.Dispose();
        rootKey.Dispose();
    }
}
