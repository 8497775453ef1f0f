using System.Security.Cryptography;

namespace Tlogistry.Transparency.Sigstore.Identity;

/// <summary>
/// The identity string a sighting records as its <c>instance</c>, derived from what verifies
/// it: <c>key:sha256:&lt;hex of the DER key&gt;</c> in key mode, and in keyless mode
/// <c>email:ADDRESS;issuer=ISSUER</c> or <c>uri:URI;issuer=ISSUER</c> (the issuer last, so the
/// string splits unambiguously at the last <c>;issuer=</c>).
/// </summary>
internal static class SignerIdentity
{
    private const string IssuerSeparator = ";issuer=";
    private const string KeyPrefix = "key:";

    /// <summary>True for a key-mode identity (<c>key:sha256:…</c>).</summary>
    public static bool IsKey(string identity) => identity.StartsWith(KeyPrefix, StringComparison.Ordinal);

    /// <summary>The SAN and issuer of a keyless identity, split at the last <c>;issuer=</c>; false for anything else.</summary>
    public static bool TrySplitCertificate(string identity, out string san, out string issuer)
    {
        var separator = identity.LastIndexOf(IssuerSeparator, StringComparison.Ordinal);
        var colon = identity.IndexOf(':', StringComparison.Ordinal);
        if (IsKey(identity) || colon <= 0 || separator < colon)
        {
            san = issuer = "";
            return false;
        }

        san = identity[(colon + 1)..separator];
        issuer = identity[(separator + IssuerSeparator.Length)..];
        return true;
    }

    public static string ForKey(ReadOnlySpan<byte> publicKeyDer) => KeyPrefix + "sha256:" + Convert.ToHexStringLower(SHA256.HashData(publicKeyDer));

    /// <summary>A keyless identity: the SAN as typed (see <see cref="CertificateIdentity.Parse"/>) and the issuer.</summary>
    public static string ForCertificate(CertificateIdentity san, string issuer)
    {
        ArgumentNullException.ThrowIfNull(san);
        return san.Label + ":" + san.Value + IssuerSeparator + issuer;
    }

    /// <summary>The identity a Fulcio leaf binds: its single SAN, by the SAN's own type, and its issuer.</summary>
    public static string Of(FulcioCertificate leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        return ForCertificate(leaf.San, leaf.Issuer);
    }
}
