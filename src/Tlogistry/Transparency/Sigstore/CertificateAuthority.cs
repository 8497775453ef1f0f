namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// A certificate authority from a trusted root (Fulcio): the chain that signs leaf
/// certificates, leaf-most first, and when it may have issued them.
/// </summary>
/// <param name="Certificates">DER certificates, issuing CA first and root last.</param>
internal sealed record CertificateAuthority(
    string Organization,
    string CommonName,
    string Uri,
    IReadOnlyList<byte[]> Certificates,
    DateTimeOffset ValidFrom,
    DateTimeOffset? ValidUntil);
