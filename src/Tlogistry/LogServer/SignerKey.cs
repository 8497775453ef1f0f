using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.LogServer;

/// <summary>
/// A signer's verification material as Rekor reads it: a PEM public key or PEM
/// certificate(s) (the leaf signs). <see cref="CanonicalPem"/> is Rekor's canonical value,
/// whose SHA-256 is the entry's search key for that key.
/// </summary>
internal sealed class SignerKey
{
    private static readonly byte[] Ed25519Prefix = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

    private SignerKey(byte[] spki, byte[] canonicalPem, IReadOnlyList<string>? subjects = null)
    {
        Spki = spki;
        CanonicalPem = canonicalPem;
        Subjects = subjects ?? [];
    }

    /// <summary>The leaf certificate's SAN e-mails and URIs, which Rekor also indexes an entry under (lowercased).</summary>
    public IReadOnlyList<string> Subjects { get; }

    /// <summary>Every search key of this signer: <see cref="IndexKey"/> and its <see cref="Subjects"/>.</summary>
    public IEnumerable<string> IndexKeys => [IndexKey, .. Subjects];

    /// <summary>The DER SubjectPublicKeyInfo that verifies signatures.</summary>
    public byte[] Spki { get; }

    /// <summary>PEM as Go's pem.EncodeToMemory writes it: 64-column base64, trailing newline.</summary>
    public byte[] CanonicalPem { get; }

    /// <summary>"sha256:&lt;hex&gt;" of the canonical PEM: how Rekor indexes and searches by key.</summary>
    public string IndexKey => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(CanonicalPem));

    public bool IsEcdsaP256
    {
        get
        {
            using var ec = TryEcdsa();
            return ec is not null && ec.ExportParameters(false).Curve.Oid.Value == "1.2.840.10045.3.1.7";
        }
    }

    /// <summary>Reads PEM text: one PUBLIC KEY block, or one or more CERTIFICATE blocks.</summary>
    public static SignerKey FromPem(ReadOnlySpan<byte> pem)
    {
        var text = Encoding.UTF8.GetString(pem);
        var blocks = new List<(string Label, byte[] Der)>();
        var rest = text.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label].ToString();
            var der = new byte[fields.DecodedDataLength];
            if (!Convert.TryFromBase64Chars(rest[fields.Base64Data], der, out _))
            {
                throw new BadEntryException("public key PEM holds invalid base64");
            }

            blocks.Add((label, der));
            rest = rest[fields.Location.End..];
        }

        if (blocks.Count == 0)
        {
            throw new BadEntryException("public key is not PEM (expected a PUBLIC KEY or CERTIFICATE block)");
        }

        if (blocks.Count == 1 && blocks[0].Label == "PUBLIC KEY")
        {
            return FromSpki(blocks[0].Der);
        }

        if (blocks.All(b => b.Label == "CERTIFICATE"))
        {
            var spki = CertificateSpki(blocks[0].Der);
            var canonical = new StringBuilder();
            foreach (var b in blocks)
            {
                canonical.Append(GoPem("CERTIFICATE", b.Der));
            }

            return new SignerKey(spki, Encoding.ASCII.GetBytes(canonical.ToString()), CertificateSubjects(blocks[0].Der));
        }

        throw new BadEntryException($"unsupported PEM block \"{blocks[0].Label}\"; expected PUBLIC KEY or CERTIFICATE");
    }

    public static SignerKey FromSpki(byte[] der)
    {
        if (!IsEd25519(der))
        {
            try
            {
                using var probe = ECDsa.Create();
                probe.ImportSubjectPublicKeyInfo(der, out var read);
                if (read != der.Length)
                {
                    throw new BadEntryException("public key has trailing bytes");
                }
            }
            catch (CryptographicException)
            {
                try
                {
                    using var rsa = RSA.Create();
                    rsa.ImportSubjectPublicKeyInfo(der, out _);
                }
                catch (CryptographicException e)
                {
                    throw new BadEntryException("public key is not an ECDSA, RSA or Ed25519 SubjectPublicKeyInfo", e);
                }
            }
        }

        return new SignerKey(der, Encoding.ASCII.GetBytes(GoPem("PUBLIC KEY", der)));
    }

    public static SignerKey FromCertificateDer(byte[] der)
    {
        var spki = CertificateSpki(der);
        return new SignerKey(spki, Encoding.ASCII.GetBytes(GoPem("CERTIFICATE", der)), CertificateSubjects(der));
    }

    /// <summary>Verifies a signature over a message, hashing with SHA-256 as Rekor's verifiers do.</summary>
    public bool VerifyMessage(byte[] message, byte[] signature)
    {
        if (IsEd25519(Spki))
        {
            return signature.Length == 64 && Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Verify(signature, 0, Spki, Ed25519Prefix.Length, message, 0, message.Length);
        }

        using var ec = TryEcdsa();
        if (ec is not null)
        {
            return ec.VerifyData(message, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }

        try
        {
            using var rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(Spki, out _);
            return rsa.VerifyData(message, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException)
        {
            // A key of another type (DSA, …) from a certificate: it verifies nothing here.
            return false;
        }
    }

    /// <summary>Verifies an ECDSA signature over a SHA-256 digest the client computed.</summary>
    public bool VerifyDigest(byte[] digest, byte[] signature)
    {
        using var ec = TryEcdsa();
        return ec is not null && ec.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence);
    }

    private ECDsa? TryEcdsa()
    {
        if (IsEd25519(Spki))
        {
            return null;
        }

        var ec = ECDsa.Create();
        try
        {
            ec.ImportSubjectPublicKeyInfo(Spki, out _);
            return ec;
        }
        catch (CryptographicException)
        {
            ec.Dispose();
            return null;
        }
    }

    private static bool IsEd25519(byte[] der) => der.Length == Ed25519Prefix.Length + 32 && der.AsSpan().StartsWith(Ed25519Prefix);

    private static List<string> CertificateSubjects(byte[] der)
    {
        using var cert = X509CertificateLoader.LoadCertificate(der);
        var names = new List<string>();
        if (cert.Extensions["2.5.29.17"] is not { } extension)
        {
            return names;
        }

        try
        {
            var all = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (all.HasData)
            {
                // rfc822Name [1] and uniformResourceIdentifier [6]: the SAN values Rekor indexes.
                var tag = all.PeekTag();
                if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue is 1 or 6)
                {
                    names.Add(all.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                }
                else
                {
                    all.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException)
        {
            // A malformed SAN indexes nothing; the entry is still logged by its key.
        }

        return names;
    }

    private static byte[] CertificateSpki(byte[] der)
    {
        try
        {
            using var cert = X509CertificateLoader.LoadCertificate(der);
            return cert.PublicKey.ExportSubjectPublicKeyInfo();
        }
        catch (CryptographicException e)
        {
            throw new BadEntryException("certificate is not valid DER X.509", e);
        }
    }

    private static string GoPem(string label, byte[] der) => DsseV001Body.Pem(label, der);
}
