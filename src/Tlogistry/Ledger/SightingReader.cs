using Tlogistry.Store;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Ledger;

/// <summary>
/// Turns a bundle into a <see cref="Sighting"/> only when it verifies (log entry, inclusion,
/// checkpoint, signature), its signer passes this instance's policy (a configured key, or a
/// Fulcio certificate for the configured identity valid at the log's time), and its statement
/// is a sighting naming that signer. A sighting is always an inclusion proof: a signed entry
/// timestamp alone is the log's promise, not evidence. Legacy statements written by the Go
/// tlogistry (unsigned) count only when the verifier was given the legacy log and key.
/// </summary>
internal sealed class SightingReader
{
    private readonly BundleVerifier _verifier;
    private readonly ISignerPolicy _policy;
    private readonly TimeProvider _time;

    /// <param name="identity">The identity this instance records in new sightings.</param>
    /// <param name="signer">This instance's current verification material, for logs searched by key.</param>
    /// <param name="searchKeys">Whose entries a log search asks for: every key that counts, or <see cref="SignerMaterial.AnyKey"/> when keys are ephemeral; defaults to <paramref name="signer"/>.</param>
    public SightingReader(BundleVerifier verifier, ISignerPolicy policy, string identity, SignerMaterial signer, TimeProvider time, IReadOnlyList<SignerMaterial>? searchKeys = null)
    {
        _verifier = verifier;
        _policy = policy;
        Identity = identity;
        Signer = signer;
        _time = time;
        SearchKeys = searchKeys ?? [signer];
    }

    public SignerMaterial Signer { get; }

    public IReadOnlyList<SignerMaterial> SearchKeys { get; }

    public string Identity { get; }

    /// <summary>
    /// Everything <see cref="Read"/>'s answer depends on besides the bundle and the time, part by
    /// part: this program's version, the verifier's trust, the signer policy and the identity.
    /// </summary>
    public IEnumerable<byte[]> Terms() =>
    [
        System.Text.Encoding.UTF8.GetBytes("tlogistry sighting verification " + ProgramVersion),
        _verifier.Terms(),
        System.Text.Encoding.UTF8.GetBytes(_policy.Terms),
        System.Text.Encoding.UTF8.GetBytes(Identity),
    ];

    /// <summary>When trusted keys and authorities stop being valid (<see cref="BundleVerifier.ValidityEnds"/>).</summary>
    public IEnumerable<DateTimeOffset> ValidityEnds => _verifier.ValidityEnds;

    // A new build may verify differently, so what an older one verified is checked again. A
    // deterministic build's module ID is a hash of its code: the same for every replica running
    // one build, different for any change.
    private static readonly string ProgramVersion = typeof(SightingReader).Assembly.ManifestModule.ModuleVersionId.ToString();

    /// <summary>
    /// Throws <see cref="LogVerificationException"/> when the bundle does not verify or its signer
    /// does not count, and <see cref="FormatException"/> when it verifies but is not a sighting.
    /// </summary>
    public Sighting Read(SigstoreBundle bundle)
    {
        var now = _time.GetUtcNow();
        if (bundle.Entry.InclusionProof is null)
        {
            throw new LogVerificationException($"log entry {bundle.Entry.LogIndex}: inclusion proof check failed: the entry has none, and a signed entry timestamp alone does not make a sighting");
        }

        var verified = _verifier.Verify(bundle, _policy.ExpectedSigner(bundle), now);
        var keyless = verified.LeafCertificateDer is not null;
        // Every verified time (the log's, each RFC 3161 timestamp's) must satisfy the signer
        // policy; a keyless certificate lives minutes, so it needs at least one such time.
        var times = verified.VerifiedTimes;
        if (times.Count == 0 && keyless)
        {
            throw new LogVerificationException($"log entry {bundle.Entry.LogIndex}: time check failed: the log states no integrated time and the bundle carries no verified RFC 3161 timestamp, so the certificate's validity cannot be checked");
        }

        var signedAt = times.Count > 0 ? times[0] : now;
        foreach (var at in times.Count > 0 ? times : [now])
        {
            _policy.Check(verified, at);
        }

        var envelope = verified.Envelope ?? throw new LogVerificationException($"log entry {bundle.Entry.LogIndex}: the bundle holds no DSSE envelope");
        if (envelope.PayloadType != Dsse.InTotoPayloadType)
        {
            throw new FormatException("envelope payload type is " + envelope.PayloadType);
        }

        var signedBy = keyless ? SignerIdentity.Of(FulcioCertificate.Read(verified.LeafCertificateDer!)) : SignerIdentity.ForKey(verified.SignerKeyDer);
        var legacy = LegacySighting.Is(envelope.Payload);
        if (envelope.Signatures.Count == 0 && !legacy)
        {
            // Unsigned statements (intoto 0.0.1) are honoured only in the Go tlogistry's format.
            throw new FormatException("an intoto 0.0.1 entry is honoured only for the legacy tlogistry-fetched format");
        }

        if (legacy)
        {
            var (reference, digest) = LegacySighting.Decode(envelope.Payload);
            return new Sighting(reference, digest, "", signedAt, "", signedBy, bundle) { LogTime = verified.IntegratedTime };
        }

        var claim = SightingStatement.Decode(envelope.Payload);
        if (claim.Identity != signedBy)
        {
            throw new FormatException($"statement names {claim.Identity} but is signed by {signedBy}");
        }

        return new Sighting(claim.Reference, claim.Digest, claim.MediaType, claim.ObservedAt, claim.Upstream, claim.Identity, bundle) { LogTime = verified.IntegratedTime };
    }

    /// <summary>True for a legacy sighting: its envelope carries no signature (only its log vouches for it).</summary>
    public static bool IsUnsigned(Sighting sighting)
    {
        ArgumentNullException.ThrowIfNull(sighting);
        return sighting.Bundle.Envelope is { Signatures.Count: 0 };
    }

    /// <summary>
    /// A bundle for a log entry and the envelope the log kept with it. A certificate the entry
    /// names goes into the bundle (keyless keys are ephemeral); otherwise the key hint is the
    /// entry's key when the body names one, else the key of ours the envelope's signature names
    /// by key ID (an entry signed before a rotation), else the current one.
    /// </summary>
    public SigstoreBundle Bundle(TlogEntry entry, DsseEnvelope envelope)
    {
        var named = SignerIn(entry);
        if (named is { IsCertificate: true })
        {
            return new(new VerificationMaterial(null, [named.Verifier]), entry, envelope, null);
        }

        var key = named?.Verifier ?? KeyNamedBy(envelope) ?? Signer.PublicKeyDer;
        return new(VerificationMaterial.ForKey(KeyPolicy.Hint(key)), entry, envelope, null);
    }

    /// <summary>The search key whose ID (hex SHA-256 of the DER key) a signature of the envelope names; only a hint, the signature is still checked.</summary>
    private byte[]? KeyNamedBy(DsseEnvelope envelope)
    {
        foreach (var signature in envelope.Signatures)
        {
            foreach (var key in SearchKeys)
            {
                if (!key.IsAnyKey && string.Equals(signature.KeyId, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(key.PublicKeyDer)), StringComparison.OrdinalIgnoreCase))
                {
                    return key.PublicKeyDer;
                }
            }
        }

        return null;
    }

    private static BodySigner? SignerIn(TlogEntry entry)
    {
        try
        {
            var signers = EntryBody.Parse(entry.CanonicalizedBody, entry.Kind, entry.Version).Signers;
            return signers.Count > 0 ? signers[0] : null;
        }
        catch (FormatException)
        {
            // The verifier reports the body; the bundle is built all the same.
            return null;
        }
    }
}
