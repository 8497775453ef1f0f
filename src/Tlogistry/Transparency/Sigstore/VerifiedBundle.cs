using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Notes;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>A log entry proven to be in a trusted log.</summary>
/// <param name="IntegratedTime">The log's time for the entry, or null when it states none (Rekor v2).</param>
/// <param name="Checkpoint">The verified checkpoint the inclusion proof leads to, or null for a SET-only entry.</param>
internal sealed record VerifiedEntry(TrustedLog Log, DateTimeOffset? IntegratedTime, Checkpoint? Checkpoint);

/// <summary>
/// A bundle whose signature, log entry and proofs all verified. Exactly one of
/// <see cref="Envelope"/> and <see cref="MessageSignature"/> is set; for a message signature
/// the caller still checks that the digest is its artifact's.
/// </summary>
/// <param name="SignerKeyDer">The key the signature verified with, DER SubjectPublicKeyInfo.</param>
/// <param name="LeafCertificateDer">The signing certificate, for identity policy; null in key mode without one.</param>
internal sealed record VerifiedBundle(
    VerifiedEntry Entry,
    byte[] SignerKeyDer,
    byte[]? LeafCertificateDer,
    DsseEnvelope? Envelope,
    MessageSignature? MessageSignature)
{
    public TrustedLog Log => Entry.Log;

    public DateTimeOffset? IntegratedTime => Entry.IntegratedTime;

    /// <summary>The times of the bundle's RFC 3161 timestamps, each verified against a trusted timestamp authority.</summary>
    public IReadOnlyList<DateTimeOffset> TimestampTimes { get; init; } = [];

    /// <summary>
    /// Every verified time for the signature: the log's signed integrated time and each
    /// timestamp's. A signer's validity is checked at each of them; empty when nothing dates it.
    /// </summary>
    public IReadOnlyList<DateTimeOffset> VerifiedTimes => [.. IntegratedTime is { } t ? [t] : Array.Empty<DateTimeOffset>(), .. TimestampTimes];
}
