using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Tlogistry.Signing.Identity;

/// <summary>
/// What a Fulcio leaf certificate says about its holder: the subject alternative names
/// (email addresses and URIs), the OIDC issuer that vouched for them, when it is valid,
/// and its key. A pure reader: nothing here is trusted until a policy checks the chain.
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

    private FulcioCertificate(
        byte[] der,
        IReadOnlyList<string> emails,
        IReadOnlyList<string> uris,
        string? issuer,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter,
        byte[] publicKeyDer,
        bool codeSigning)
    {
        Der = der;
        Emails = emails;
        Uris = uris;
        Issuer = issuer;
        NotBefore = notBefore;
        NotAfter = notAfter;
        PublicKeyDer = publicKeyDer;
        HasCodeSigningUsage = codeSigning;
    }

    /// <summary>The certificate exactly as read.</summary>
    public byte[] Der { get; }

    /// <summary>The SAN rfc822Name entries.</summary>
    public IReadOnlyList<string> Emails { get; }

    /// <summary>The SAN uniformResourceIdentifier entries.</summary>
    public IReadOnlyList<string> Uris { get; }

    /// <summary>Every email and URI the SAN names, emails first.</summary>
    public IReadOnlyList<string> Identities => [.. Emails, .. Uris];

    /// <summary>The OIDC issuer from <see cref="IssuerV2Oid"/>, else <see cref="IssuerV1Oid"/>; null when neither is present.</summary>
    public string? Issuer { get; }

    public DateTimeOffset NotBefore { get; }

    public DateTimeOffset NotAfter { get; }

    /// <summary>The subject key, DER SubjectPublicKeyInfo.</summary>
    public byte[] PublicKeyDer { get; }

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
            var emails = new List<string>();
            var uris = new List<string>();
            string? issuerV1 = null;
            string? issuerV2 = null;
            var codeSigning = false;
            foreach (var extension in certificate.Extensions)
            {
                switch (extension.Oid?.Value)
                {
                    case SubjectAltNameOid:
                        ReadSubjectAltName(extension.RawData, emails, uris);
                        break;
                    case IssuerV1Oid:
                        issuerV1 = DecodeUtf8(extension.RawData, "issuer (1.3.6.1.4.1.57264.1.1)");
                        break;
                    case IssuerV2Oid:
                        issuerV2 = ReadUtf8String(extension.RawData);
                        break;
                    case "2.5.29.37":
                        codeSigning = ReadCodeSigning(extension);
                        break;
                }
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
                emails,
                uris,
                issuerV2 ?? issuerV1,
                new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
                new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
                key,
                codeSigning);
        }
    }

    /// <summary>GeneralNames ::= SEQUENCE OF GeneralName; keeps rfc822Name [1] and URI [6], skips the rest.</summary>
    private static void ReadSubjectAltName(byte[] value, List<string> emails, List<string> uris)
    {
        try
        {
            var reader = new AsnReader(value, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag.HasSameClassAndValue(Rfc822NameTag))
                {
                    emails.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, Rfc822NameTag));
                }
                else if (tag.HasSameClassAndValue(UriTag))
                {
                    uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag));
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
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

    private static bool ReadCodeSigning(X509Extension extension)
    {
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
}
