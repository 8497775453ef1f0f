using System.Security.Cryptography;

namespace Tlogistry.Signing.Identity;

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

    /// <summary>An identity given as configured: a value with a URI scheme is a URI SAN, anything else an e-mail.</summary>
    public static string ForCertificate(string san, string issuer) =>
        (Uri.TryCreate(san, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.Scheme) && !san.Contains('@', StringComparison.Ordinal) ? "uri:" : "email:") + san + IssuerSeparator + issuer;

    /// <summary>The identity a Fulcio leaf binds; throws <see cref="FormatException"/> when it names no SAN or no issuer.</summary>
    public static string Of(FulcioCertificate leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        var issuer = leaf.Issuer ?? throw new FormatException("the certificate names no OIDC issuer (1.3.6.1.4.1.57264.1.8 or .1.1)");
        if (leaf.Emails.Count > 0)
        {
            return "email:" + leaf.Emails[0] + IssuerSeparator + issuer;
        }

        return leaf.Uris.Count > 0
            ? "uri:" + leaf.Uris[0] + IssuerSeparator + issuer
            : throw new FormatException("the certificate names no e-mail or URI subject alternative name");
    }
}
