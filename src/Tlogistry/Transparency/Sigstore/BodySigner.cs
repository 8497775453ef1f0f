using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// A signer a log entry's body names: its key or certificate, and the signature when the
/// body holds one (intoto 0.0.1 bodies hold only the key).
/// </summary>
/// <param name="Verifier">DER SubjectPublicKeyInfo, or a DER X.509 certificate when <paramref name="IsCertificate"/>.</param>
internal sealed record BodySigner(byte[]? Signature, byte[] Verifier, bool IsCertificate)
{
    /// <summary>The signer's key as DER SubjectPublicKeyInfo, taken from the certificate when there is one.</summary>
    public byte[] PublicKeyDer => IsCertificate ? CertificateKey(Verifier) : Verifier;

    /// <summary>The subject key of a DER certificate; throws <see cref="FormatException"/> if it is not one.</summary>
    public static byte[] CertificateKey(byte[] certificateDer)
    {
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(certificateDer);
            return certificate.PublicKey.ExportSubjectPublicKeyInfo();
        }
        catch (CryptographicException e)
        {
            throw new FormatException("not a DER X.509 certificate: " + e.Message, e);
        }
    }
}
