using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency;

namespace Tlogistry.Signing;

/// <summary>
/// Signs sightings: key mode (<see cref="InstanceKey"/>) or keyless mode (a Fulcio certificate
/// over an ephemeral key). Callers get back what a verifier needs along with the envelope.
/// </summary>
internal interface IEnvelopeSigner
{
    /// <summary>The identity recorded in sightings; stable for the life of the signer.</summary>
    string Identity { get; }

    Task<SignedEnvelope> SignAsync(string payloadType, byte[] payload, CancellationToken cancellationToken);
}

/// <summary>An envelope and the material (key, certificate chain) that verifies its signature.</summary>
internal sealed record SignedEnvelope(DsseEnvelope Envelope, SignerMaterial Signer)
{
    /// <summary>DER TimeStampResp answers dating the signature, as the bundle carries them; empty without a timestamp authority.</summary>
    public IReadOnlyList<byte[]> Timestamps { get; init; } = [];
}
