using Tlogistry.Signing;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Ledger;

/// <summary>Checks a bundle by proof and signature (see BundleVerifier) and returns the verified envelope.</summary>
internal delegate DsseEnvelope BundleCheck(SigstoreBundle bundle, SignerMaterial signer);

/// <summary>
/// Turns a bundle into a <see cref="Sighting"/> only when it verifies (signature, log
/// entry, inclusion, checkpoint), was signed by this instance, and its statement is a
/// sighting. Legacy statements written by the Go tlogistry are honoured the same way.
/// </summary>
internal sealed class SightingReader
{
    private readonly BundleCheck _check;

    public SightingReader(BundleCheck check, SignerMaterial signer, string identity)
    {
        _check = check;
        Signer = signer;
        Identity = identity;
    }

    public SignerMaterial Signer { get; }

    public string Identity { get; }

    /// <summary>
    /// Throws <see cref="LogVerificationException"/> when the bundle does not verify, and
    /// <see cref="FormatException"/> when it verifies but is not a sighting of ours.
    /// </summary>
    public Sighting Read(SigstoreBundle bundle)
    {
        var envelope = _check(bundle, Signer);
        if (envelope.PayloadType != Dsse.InTotoPayloadType)
        {
            throw new FormatException("envelope payload type is " + envelope.PayloadType);
        }

        var legacy = LegacySighting.Is(envelope.Payload);
        if (envelope.Signatures.Count == 0 && !legacy)
        {
            // Unsigned statements (intoto 0.0.1) are honoured only in the Go tlogistry's format.
            throw new FormatException("an intoto 0.0.1 entry is honoured only for the legacy tlogistry-fetched format");
        }

        if (legacy)
        {
            var (reference, digest) = LegacySighting.Decode(envelope.Payload);
            var time = DateTimeOffset.FromUnixTimeSeconds(bundle.Entry.IntegratedTime);
            return new Sighting(reference, digest, "", time, "", Identity, bundle);
        }

        var claim = SightingStatement.Decode(envelope.Payload);
        if (claim.Identity != Identity)
        {
            throw new FormatException("statement names another instance: " + claim.Identity);
        }

        return new Sighting(claim.Reference, claim.Digest, claim.MediaType, claim.ObservedAt, claim.Upstream, claim.Identity, bundle);
    }

    /// <summary>
    /// A bundle for a log entry and the envelope the log kept with it. A certificate the entry
    /// names goes into the bundle (keyless keys are ephemeral); otherwise the key hint is ours.
    /// </summary>
    public SigstoreBundle Bundle(TlogEntry entry, DsseEnvelope envelope)
    {
        var certificate = CertificateIn(entry);
        return new(certificate is null ? VerificationMaterial.ForKey(KeyHint) : new VerificationMaterial(null, [certificate]), entry, envelope, null);
    }

    private static byte[]? CertificateIn(TlogEntry entry)
    {
        try
        {
            return EntryBody.Parse(entry.CanonicalizedBody, entry.Kind, entry.Version).Signers.FirstOrDefault(s => s.IsCertificate)?.Verifier;
        }
        catch (FormatException)
        {
            // The verifier reports the body; the bundle is built all the same.
            return null;
        }
    }

    /// <summary>The public-key hint bundles carry: the base64 SHA-256 of the DER key, as Sigstore clients write it.</summary>
    private string KeyHint => Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Signer.PublicKeyDer));
}
