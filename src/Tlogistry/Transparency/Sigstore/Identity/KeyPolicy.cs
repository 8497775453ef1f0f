using System.Security.Cryptography;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Transparency.Sigstore.Identity;

/// <summary>
/// Key mode: sightings count when one of the configured keys signed them. Several keys
/// allow rotation: a bundle names its key by hint (base64 SHA-256 of the DER key), and an
/// old key stays listed for as long as its sightings should be honoured.
/// </summary>
internal sealed class KeyPolicy : ISignerPolicy
{
    private readonly byte[][] keys;
    private readonly string[] hints;

    /// <param name="publicKeysDer">DER SubjectPublicKeyInfo keys; the first is the current one.</param>
    public KeyPolicy(IReadOnlyList<byte[]> publicKeysDer)
    {
        ArgumentNullException.ThrowIfNull(publicKeysDer);
        if (publicKeysDer.Count == 0)
        {
            throw new ArgumentException("key mode needs at least one public key", nameof(publicKeysDer));
        }

        keys = [.. publicKeysDer.Select(k => (byte[])(k ?? throw new ArgumentException("a public key is null", nameof(publicKeysDer))).Clone())];
        hints = [.. keys.Select(Hint)];
    }

    public string Describe => keys.Length == 1
        ? $"key {hints[0]}"
        : $"keys {string.Join(", ", hints)}";

    public string Terms => "keys " + string.Join(' ', keys.Select(Convert.ToHexStringLower));

    /// <summary>The public-key hint bundles carry: the base64 SHA-256 of the DER key.</summary>
    public static string Hint(byte[] publicKeyDer) => Convert.ToBase64String(SHA256.HashData(publicKeyDer));

    /// <summary>
    /// The configured key the bundle's hint names, else the first key, so that a bundle by
    /// another key fails verification with a clear reason. A certificate is refused.
    /// </summary>
    public BundleSigner ExpectedSigner(SigstoreBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        if (bundle.Material.Certificates.Count > 0)
        {
            throw Fail(bundle.Entry.LogIndex, "signer", "the bundle carries a certificate, but this instance trusts keys only");
        }

        var hint = bundle.Material.PublicKeyHint;
        for (var i = 0; i < keys.Length; i++)
        {
            if (string.Equals(hints[i], hint, StringComparison.Ordinal))
            {
                return BundleSigner.Key(keys[i]);
            }
        }

        return BundleSigner.Key(keys[0]);
    }

    public void Check(VerifiedBundle verified, DateTimeOffset signedAt)
    {
        ArgumentNullException.ThrowIfNull(verified);
        if (verified.LeafCertificateDer is not null)
        {
            throw new LogVerificationException("signer check failed: the bundle was signed with a certificate, but this instance trusts keys only");
        }

        if (!keys.Any(k => k.AsSpan().SequenceEqual(verified.SignerKeyDer)))
        {
            throw new LogVerificationException($"signer check failed: key {Hint(verified.SignerKeyDer)} is not one of the configured keys ({string.Join(", ", hints)})");
        }
    }

    private static LogVerificationException Fail(long logIndex, string check, string detail) =>
        new($"log entry {logIndex}: {check} check failed: {detail}");
}
