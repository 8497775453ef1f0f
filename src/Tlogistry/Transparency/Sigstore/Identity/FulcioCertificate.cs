using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Tlogistry.Transparency.Sigstore.Identity;

/// <summary>
/// What a Fulcio leaf certificate says about its holder, read to the shape Fulcio's certificate
/// specification gives it: exactly one subject alternative name (an e-mail or a URI) in a critical
/// extension, the OIDC issuer that vouched for it (extensions .1.1 and .1.8, which must agree when
/// both are present), its validity, key and key usages. A certificate of another shape is a
/// <see cref="FormatException"/>. Nothing here is trusted until a policy checks the chain.
/// </summary>
internal sealed class FulcioCertificate
{
    /// <summary>Fulcio's first issuer extension: the issuer URL as the raw extension value.</summary>
    public const string IssuerV1Oid = "1.3.6.1.4.1.57264.1.1";

    /// <summary>Fulcio's issuer extension since 2022: the issuer URL as a DER UTF8String.</summary>
    public const string IssuerV2Oid = "1.3.6.1.4.1.57264.1.8";

    public const string CodeSigningOid = "1.3.6.1.5.5.7.3.3";

    private const string SubjectAltNameOid = "2.5.29.17";

    private static readonly Asn1Tag Rfc822NameTag = new(TagClass.ContextSpecific, 1);

    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    private FulcioCertificate(byte[] der, CertificateIdentity san, string issuer, DateTimeOffset notBefore, DateTimeOffset notAfter, byte[] publicKeyDer, bool digitalSignature, bool codeSigning)
    {
        Der = der;
        San = san;
        Issuer = issuer;
        NotBefore = notBefore;
        NotAfter = notAfter;
        PublicKeyDer = publicKeyDer;
        HasDigitalSignatureUsage = digitalSignature;
        HasCodeSigningUsage = codeSigning;
    }

    /// <summary>The certificate exactly as read.</summary>
    public byte[] Der { get; }

    /// <summary>The single SAN, typed by its GeneralName tag.</summary>
    public CertificateIdentity San { get; }

    /// <summary>The OIDC issuer from <see cref="IssuerV2Oid"/>, else <see cref="IssuerV1Oid"/>.</summary>
    public string Issuer { get; }

    public DateTimeOffset NotBefore { get; }

    public DateTimeOffset NotAfter { get; }

    /// <summary>The subject key, DER SubjectPublicKeyInfo.</summary>
    public byte[] PublicKeyDer { get; }

    /// <summary>Whether the key usage extension allows digitalSignature.</summary>
    public bool HasDigitalSignatureUsage { get; }

    /// <summary>Whether the extended key usage extension lists code signing.</summary>
    public bool HasCodeSigningUsage { get; }

    /// <summary>Reads a DER leaf certificate; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static FulcioCertificate Read(byte[] der)
    {
        ArgumentNullException.ThrowIfNull(der);
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException e)
        {
            throw new FormatException("not a DER X.509 certificate: " + e.Message, e);
        }

        using (certificate)
        {
            CertificateIdentity? san = null;
            string? issuerV1 = null;
            string? issuerV2 = null;
            var codeSigning = false;
            var digitalSignature = false;
            foreach (var extension in certificate.Extensions)
            {
                switch (extension.Oid?.Value)
                {
                    case SubjectAltNameOid:
                        // Fulcio leaves have an empty subject, so RFC 5280 requires the SAN to be critical.
                        san = extension.Critical
                            ? ReadSubjectAltName(extension.RawData)
                            : throw new FormatException("certificate subject alternative name is not critical");
                        break;
                    case IssuerV1Oid:
                        issuerV1 = DecodeUtf8(extension.RawData, "issuer (1.3.6.1.4.1.57264.1.1)");
                        break;
                    case IssuerV2Oid:
                        issuerV2 = ReadUtf8String(extension.RawData);
                        break;
                    case "2.5.29.15":
                        digitalSignature = HasDigitalSignature(extension);
                        break;
                    case "2.5.29.37":
                        codeSigning = HasCodeSigning(extension);
                        break;
                }
            }

            if (issuerV1 is not null && issuerV2 is not null && !string.Equals(issuerV1, issuerV2, StringComparison.Ordinal))
            {
                throw new FormatException($"certificate issuer extensions disagree: 1.3.6.1.4.1.57264.1.1 says {issuerV1}, 1.3.6.1.4.1.57264.1.8 says {issuerV2}");
            }

            byte[] key;
            try
            {
                key = certificate.PublicKey.ExportSubjectPublicKeyInfo();
            }
            catch (CryptographicException e)
            {
                throw new FormatException("certificate public key is unreadable: " + e.Message, e);
            }

            return new FulcioCertificate(
                (byte[])der.Clone(),
                san ?? throw new FormatException("certificate has no subject alternative name"),
                issuerV2 ?? issuerV1 ?? throw new FormatException("certificate names no OIDC issuer (1.3.6.1.4.1.57264.1.8 or .1.1)"),
                new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
                new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
                key,
                digitalSignature,
                codeSigning);
        }
    }

    /// <summary>Whether an extended key usage extension lists code signing; throws <see cref="FormatException"/> when it is malformed.</summary>
    public static bool HasCodeSigning(X509Extension extension)
    {
        ArgumentNullException.ThrowIfNull(extension);
        try
        {
            var usage = new X509EnhancedKeyUsageExtension(extension, extension.Critical);
            foreach (var oid in usage.EnhancedKeyUsages)
            {
                if (oid.Value == CodeSigningOid)
                {
                    return true;
                }
            }

            return false;
        }
        catch (CryptographicException e)
        {
            throw new FormatException("certificate extended key usage is malformed: " + e.Message, e);
        }
    }

    private static bool HasDigitalSignature(X509Extension extension)
    {
        try
        {
            return new X509KeyUsageExtension(extension, extension.Critical).KeyUsages.HasFlag(X509KeyUsageFlags.DigitalSignature);
        }
        catch (CryptographicException e)
        {
            throw new FormatException("certificate key usage is malformed: " + e.Message, e);
        }
    }

    /// <summary>GeneralNames ::= SEQUENCE OF GeneralName, holding exactly one rfc822Name [1] or URI [6].</summary>
    private static CertificateIdentity ReadSubjectAltName(byte[] value)
    {
        try
        {
            var reader = new AsnReader(value, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var found = new List<CertificateIdentity>();
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag.HasSameClassAndValue(Rfc822NameTag))
                {
                    found.Add(new(SanKind.Email, names.ReadCharacterString(UniversalTagNumber.IA5String, Rfc822NameTag)));
                }
                else if (tag.HasSameClassAndValue(UriTag))
                {
                    found.Add(new(SanKind.Uri, names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag)));
                }
                else
                {
                    throw new FormatException($"certificate subject alternative name holds a name of another type (tag [{tag.TagValue}]); Fulcio identities are an e-mail or a URI");
                }
            }

            return found.Count == 1
                ? found[0]
                : throw new FormatException($"certificate subject alternative name holds {found.Count} names, not exactly one");
        }
        catch (AsnContentException e)
        {
            throw new FormatException("certificate subject alternative name is malformed: " + e.Message, e);
        }
    }

    private static string ReadUtf8String(byte[] value)
    {
        try
        {
            var reader = new AsnReader(value, AsnEncodingRules.DER);
            var text = reader.ReadCharacterString(UniversalTagNumber.UTF8String);
            reader.ThrowIfNotEmpty();
            return text;
        }
        catch (AsnContentException e)
        {
            throw new FormatException("certificate issuer (1.3.6.1.4.1.57264.1.8) is not a DER UTF8String: " + e.Message, e);
        }
    }

    private static string DecodeUtf8(byte[] value, string what)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(value);
        }
        catch (DecoderFallbackException e)
        {
            throw new FormatException($"certificate {what} is not UTF-8: " + e.Message, e);
        }
    }
}
