namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// A transparency log the verifier trusts: its key and its validity window. Entries are
/// matched to a log by <see cref="LogId"/>; an entry whose time lies outside the window
/// does not verify.
/// </summary>
/// <param name="PublicKeyDer">DER SubjectPublicKeyInfo (ECDSA P-256 or Ed25519).</param>
/// <param name="KeyDetails">The trusted root's key type name, e.g. PKIX_ECDSA_P256_SHA_256 or PKIX_ED25519.</param>
internal sealed record TrustedLog(
    string BaseUrl,
    byte[] LogId,
    byte[] PublicKeyDer,
    string KeyDetails,
    DateTimeOffset ValidFrom,
    DateTimeOffset? ValidUntil);
