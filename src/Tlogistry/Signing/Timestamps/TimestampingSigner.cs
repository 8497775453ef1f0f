using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Signing.Timestamps;

/// <summary>
/// Signs with another signer, then has every configured timestamp authority date the
/// signature (a DSSE envelope's first signature, as the Sigstore bundle specification says).
/// Each answer is verified before it is kept, against the trusted root's timestamp authorities
/// and, in keyless mode, the certificate's validity: a sighting is never recorded with a time
/// that a verifier would refuse. Any failure fails the signature, so nothing is sent to the log.
/// </summary>
internal sealed class TimestampingSigner : IEnvelopeSigner
{
    private readonly IEnvelopeSigner inner;
    private readonly IReadOnlyList<TimestampClient> authorities;
    private readonly TrustedRoot root;

    public TimestampingSigner(IEnvelopeSigner inner, IReadOnlyList<TimestampClient> authorities, TrustedRoot root)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(authorities);
        ArgumentNullException.ThrowIfNull(root);
        this.inner = inner;
        this.authorities = authorities;
        this.root = root;
    }

    public string Identity => inner.Identity;

    public async Task<SignedEnvelope> SignAsync(string payloadType, byte[] payload, CancellationToken cancellationToken)
    {
        var signed = await inner.SignAsync(payloadType, payload, cancellationToken);
        var signature = signed.Envelope.Signatures[0].Signature;
        var stamps = new List<byte[]>();
        foreach (var tsa in authorities)
        {
            var answer = await tsa.StampAsync(signature, cancellationToken);
            DateTimeOffset at;
            try
            {
                at = SignedTimestamp.Verify(answer, signature, root.TimestampAuthorities);
            }
            catch (Exception e) when (e is FormatException or CryptographicException)
            {
                throw new TimestampException($"{tsa.Url} answered a timestamp the trusted root does not vouch for: {e.Message}", e);
            }

            if (signed.Signer.Certificates.Count > 0)
            {
                using var leaf = X509CertificateLoader.LoadCertificate(signed.Signer.Certificates[0]);
                if (at < leaf.NotBefore.ToUniversalTime() || at > leaf.NotAfter.ToUniversalTime())
                {
                    throw new TimestampException($"{tsa.Url} dated the signature {at:u}, outside its certificate's validity ({leaf.NotBefore.ToUniversalTime():u} to {leaf.NotAfter.ToUniversalTime():u})");
                }
            }

            stamps.Add(answer);
        }

        return signed with { Timestamps = stamps };
    }
}
