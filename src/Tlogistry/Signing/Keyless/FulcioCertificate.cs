using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Tlogistry.Signing.Keyless;

/// <summary>The kind of subject alternative name a Fulcio certificate binds.</summary>
internal enum FulcioSanKind
{
    Email,
    Uri,
}

/// <summary>
/// What a Fulcio leaf certificate says about its holder: the subject alternative name (email
/// or URI) and the OIDC issuer, from extension 1.3.6.1.4.1.57264.1.8 (DER UTF8String) or,
/// on older certificates, 1.3.6.1.4.1.57264.1.1 (raw UTF-8 bytes).
/// </summary>
internal sealed record FulcioCertificate(FulcioSanKind SanKind, string San, string Issuer)
{
    public const string IssuerV1Oid = "1.3.6.1.4.1.57264.1.1";
    public const string IssuerV2Oid = "1.3.6.1.4.1.57264.1.8";
    private const string SanOid = "2.5.29.17";
    private const string IssuerSeparator = ";issuer=";

    /// <summary>
    /// The stable identity string: <c>email:ADDRESS;issuer=ISSUER</c> or <c>uri:URI;issuer=ISSUER</c>,
    /// for example <c>email:alice@example.com;issuer=https://accounts.google.com</c>. The issuer
    /// comes last so that the string splits unambiguously at the last <c>;issuer=</c>.
    /// </summary>
    public string Identity => (SanKind == FulcioSanKind.Email ? "email:" : "uri:") + San + IssuerSeparator + Issuer;

    /// <exception cref="FormatException">The certificate has no email or URI SAN, or no issuer extension.</exception>
    public static FulcioCertificate Read(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        string? v1 = null;
        string? v2 = null;
        (FulcioSanKind Kind, string Value)? san = null;
        try
        {
            foreach (var ext in certificate.Extensions)
            {
                switch (ext.Oid?.Value)
                {
                    case IssuerV2Oid:
                        v2 = new AsnReader(ext.RawData, AsnEncodingRules.DER).ReadCharacterString(UniversalTagNumber.UTF8String);
                        break;
                    case IssuerV1Oid:
                        v1 = Encoding.UTF8.GetString(ext.RawData);
                        break;
                    case SanOid:
                        san = ReadSan(ext.RawData);
                        break;
                }
            }
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException or DecoderFallbackException)
        {
            throw new FormatException("Fulcio certificate has a malformed extension: " + e.Message, e);
        }

        var issuer = v2 ?? v1;
        if (string.IsNullOrEmpty(issuer))
        {
            throw new FormatException($"certificate has no OIDC issuer extension ({IssuerV2Oid} or {IssuerV1Oid})");
        }

        return san is { } s
            ? new FulcioCertificate(s.Kind, s.Value, issuer)
            : throw new FormatException("certificate has no email or URI subject alternative name");
    }

    /// <summary>The first email (rfc822Name, [1]) or URI ([6]) in a GeneralNames sequence.</summary>
    private static (FulcioSanKind, string)? ReadSan(byte[] der)
    {
        var names = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var email = new Asn1Tag(TagClass.ContextSpecific, 1);
        var uri = new Asn1Tag(TagClass.ContextSpecific, 6);
        while (names.HasData)
        {
            var tag = names.PeekTag();
            if (tag.HasSameClassAndValue(email))
            {
                return (FulcioSanKind.Email, names.ReadCharacterString(UniversalTagNumber.IA5String, email));
            }

            if (tag.HasSameClassAndValue(uri))
            {
                return (FulcioSanKind.Uri, names.ReadCharacterString(UniversalTagNumber.IA5String, uri));
            }

            names.ReadEncodedValue();
        }

        return null;
    }
}
