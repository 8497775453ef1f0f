namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// Who a bundle must be signed by: a known key (key mode, where the bundle holds only a
/// hint), or whoever the bundle's leaf certificate names, leaving identity policy to the caller.
/// </summary>
internal sealed class BundleSigner
{
    private BundleSigner(byte[]? publicKeyDer) => PublicKeyDer = publicKeyDer;

    /// <summary>Any leaf certificate; the verified result exposes it for an identity check.</summary>
    public static BundleSigner AnyCertificate { get; } = new(null);

    /// <summary>The expected key as DER SubjectPublicKeyInfo, or null for <see cref="AnyCertificate"/>.</summary>
    public byte[]? PublicKeyDer { get; }

    public static BundleSigner Key(byte[] publicKeyDer)
    {
        ArgumentNullException.ThrowIfNull(publicKeyDer);
        return new BundleSigner(publicKeyDer);
    }
}
