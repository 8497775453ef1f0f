using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Transparency;

/// <summary>
/// What verifies a signature: the DER SubjectPublicKeyInfo and, in keyless mode, the
/// certificate chain (leaf first) that binds it to an identity. Empty chain = key mode.
/// </summary>
internal sealed record SignerMaterial(byte[] PublicKeyDer, IReadOnlyList<byte[]> Certificates)
{
    public static SignerMaterial ForKey(byte[] publicKeyDer) => new(publicKeyDer, []);

    /// <summary>No particular key: for searches that cannot filter by key (keyless keys are ephemeral).</summary>
    public static SignerMaterial AnyKey { get; } = new([], []);

    /// <summary>
    /// Keyless keys are ephemeral, so a search cannot ask for a key; a log that indexes certificates
    /// by their SAN can still be asked for this identity's entries only.
    /// </summary>
    public CertificateIdentity? Identity { get; init; }

    /// <summary>No particular key, but certificates for <paramref name="identity"/>: what a keyless instance searches for.</summary>
    public static SignerMaterial AnyKeyFor(CertificateIdentity identity) => new([], []) { Identity = identity };

    /// <summary>True for <see cref="AnyKey"/>.</summary>
    public bool IsAnyKey => PublicKeyDer.Length == 0;

    /// <summary>The key's PEM form, as Rekor v1 entry bodies carry it.</summary>
    public string PublicKeyPem => System.Security.Cryptography.PemEncoding.WriteString("PUBLIC KEY", PublicKeyDer);
}
