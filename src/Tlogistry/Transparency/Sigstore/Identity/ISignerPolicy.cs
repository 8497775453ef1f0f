using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Transparency.Sigstore.Identity;

/// <summary>
/// The rule for whose sightings count: which signer a bundle must be verified against, and,
/// once it verified, whether that signer is one this instance trusts.
/// </summary>
internal interface ISignerPolicy
{
    /// <summary>A short description for the home page and start-up log.</summary>
    string Describe { get; }

    /// <summary>
    /// Everything the policy's decisions depend on, as text: two policies with the same terms
    /// accept the same bundles, so a verification done under one holds under the other.
    /// </summary>
    string Terms { get; }

    /// <summary>
    /// The signer to pass to <see cref="BundleVerifier.Verify"/> for this bundle. Throws
    /// <see cref="LogVerificationException"/> when the bundle's kind of signer is not allowed.
    /// </summary>
    BundleSigner ExpectedSigner(SigstoreBundle bundle);

    /// <summary>
    /// Checks that a verified bundle was signed by a trusted signer at <paramref name="signedAt"/>;
    /// throws <see cref="LogVerificationException"/> naming the failed check.
    /// </summary>
    /// <param name="signedAt">
    /// The time the signature was made, as the caller trusts it: the log's integrated time.
    /// Keyless signatures are valid only inside their certificate's minutes-long window, so
    /// a caller must never pass 0 or a guess for them; it refuses a keyless bundle whose log
    /// states no time (or whose time it cannot verify) instead.
    /// </param>
    void Check(VerifiedBundle verified, DateTimeOffset signedAt);
}
