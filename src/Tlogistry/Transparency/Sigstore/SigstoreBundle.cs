using Tlogistry.Transparency.Envelopes;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// A Sigstore bundle (v0.3): what was signed, the material to check the signature, and
/// the log entry that makes it public. Everything needed to verify it offline against a
/// trusted root. Exactly one of <see cref="Envelope"/> and <see cref="MessageSignature"/> is set.
/// </summary>
internal sealed record SigstoreBundle(
    VerificationMaterial Material,
    TlogEntry Entry,
    DsseEnvelope? Envelope,
    MessageSignature? MessageSignature)
{
    public const string MediaType = "application/vnd.dev.sigstore.bundle.v0.3+json";
}

/// <summary>
/// How to check the signature: a public key named by a hint (the key itself is configured
/// by the verifier), or an X.509 certificate (leaf first; v0.3 bundles carry only the leaf);
/// and RFC 3161 timestamps over the signature, which date it where the log does not.
/// </summary>
internal sealed record VerificationMaterial(string? PublicKeyHint, IReadOnlyList<byte[]> Certificates)
{
    /// <summary>DER TimeStampResp (or bare token) bytes, as the bundle's <c>signedTimestamp</c> fields hold them.</summary>
    public IReadOnlyList<byte[]> Rfc3161Timestamps { get; init; } = [];

    public static VerificationMaterial ForKey(string hint) => new(hint, []);
}

/// <summary>A signature over an artifact's digest (hashedrekord bundles).</summary>
internal sealed record MessageSignature(string DigestAlgorithm, byte[] Digest, byte[] Signature);
