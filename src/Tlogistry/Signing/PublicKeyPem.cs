using System.Security.Cryptography;

namespace Tlogistry.Signing;

/// <summary>Reads an ECDSA public key from PEM, as operators and verifiers pass keys around.</summary>
internal static class PublicKeyPem
{
    /// <summary>
    /// The DER SubjectPublicKeyInfo of a PEM ECDSA public key (a private key gives its public
    /// half); throws <see cref="FormatException"/> naming <paramref name="what"/>.
    /// </summary>
    public static byte[] Read(string pem, string what)
    {
        try
        {
            using var key = ECDsa.Create();
            key.ImportFromPem(pem);
            return key.ExportSubjectPublicKeyInfo();
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new FormatException($"{what} is not a PEM ECDSA public key: {e.Message}", e);
        }
    }
}
