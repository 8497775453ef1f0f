using System.Security.Cryptography;
using Tlogistry.Files;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency;

namespace Tlogistry.Signing;

/// <summary>
/// The instance's signing identity in key mode: an ECDSA P-256 key kept as PKCS#8 PEM in
/// the data directory, created on first start with mode 0600. Its key ID is the hex
/// SHA-256 of the DER SubjectPublicKeyInfo, the fingerprint Sigstore tooling uses.
/// </summary>
internal sealed class InstanceKey : IEnvelopeSigner, IDisposable
{
    private readonly ECDsa _key;

    private InstanceKey(ECDsa key)
    {
        _key = key;
        PublicKeyDer = key.ExportSubjectPublicKeyInfo();
        KeyId = Convert.ToHexStringLower(SHA256.HashData(PublicKeyDer));
    }

    public string KeyId { get; }

    public byte[] PublicKeyDer { get; }

    public string PublicKeyPem => PemEncoding.WriteString("PUBLIC KEY", PublicKeyDer);

    /// <summary>Identity recorded in sightings: the key fingerprint.</summary>
    public string Identity => "key:sha256:" + KeyId;

    /// <summary>A secret for another purpose, derived from the private key (HKDF-SHA256): whoever holds the key can derive it, nobody else.</summary>
    public byte[] DeriveSecret(string purpose, int length)
    {
        var d = _key.ExportParameters(includePrivateParameters: true).D!;
        try
        {
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, d, length, info: System.Text.Encoding.UTF8.GetBytes(purpose));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(d);
        }
    }

    public static InstanceKey LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            var key = ECDsa.Create();
            try
            {
                key.ImportFromPem(File.ReadAllText(path));
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException)
            {
                key.Dispose();
                throw new InvalidOperationException($"signing key {path} is not a PEM ECDSA private key: {e.Message}", e);
            }

            if (key.KeySize != 256)
            {
                key.Dispose();
                throw new InvalidOperationException($"signing key {path} must be ECDSA P-256");
            }

            return new InstanceKey(key);
        }

        var created = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        SecretFile.WriteNew(path, created.ExportPkcs8PrivateKeyPem());
        return new InstanceKey(created);
    }

    public static InstanceKey FromEcdsa(ECDsa key) => new(key);

    public DsseEnvelope SignEnvelope(string payloadType, byte[] payload)
    {
        var sig = _key.SignData(Dsse.Pae(payloadType, payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return new DsseEnvelope(payloadType, payload, [new DsseSignature(KeyId, sig)]);
    }

    public Task<SignedEnvelope> SignAsync(string payloadType, byte[] payload, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(new SignedEnvelope(SignEnvelope(payloadType, payload), SignerMaterial.ForKey(PublicKeyDer)));
    }

    public void Dispose() => _key.Dispose();
}
