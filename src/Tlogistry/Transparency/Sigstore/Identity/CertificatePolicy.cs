using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Transparency.Sigstore.Identity;

/// <summary>
/// Keyless mode: sightings count when a Fulcio certificate from the trusted root binds the
/// signing key to exactly this identity (the leaf's single SAN, of the same type) from exactly
/// this OIDC issuer, was valid when the log integrated the entry, and (unless turned off) was
/// logged in a trusted certificate transparency log, as its embedded SCT proves.
/// </summary>
internal sealed class CertificatePolicy : ISignerPolicy
{
    private readonly TrustedRoot root;
    private readonly bool requireSct;

    /// <summary>A policy that requires an SCT, as Fulcio's specification does.</summary>
    public CertificatePolicy(TrustedRoot root, CertificateIdentity identity, string issuer)
        : this(root, identity, issuer, requireSct: true)
    {
    }

    private CertificatePolicy(TrustedRoot root, CertificateIdentity identity, string issuer, bool requireSct)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentException.ThrowIfNullOrEmpty(issuer);
        this.root = root;
        this.requireSct = requireSct;
        Identity = identity;
        Issuer = issuer;
    }

    /// <summary>
    /// A policy that trusts certificates without an SCT (<c>--unsafe-no-sct</c>): Fulcio's
    /// specification forbids that, since an SCT is what makes a mis-issued certificate visible.
    /// </summary>
    public static CertificatePolicy WithoutSctUnsafe(TrustedRoot root, CertificateIdentity identity, string issuer) =>
        new(root, identity, issuer, requireSct: false);

    /// <summary>The SAN a certificate must hold, compared by type and exact value.</summary>
    public CertificateIdentity Identity { get; }

    /// <summary>The OIDC issuer a certificate must name, compared exactly.</summary>
    public string Issuer { get; }

    public string Describe => $"certificate for {Identity} from {Issuer}";

    /// <summary>The identity and issuer, each length-prefixed, and whether an SCT is required (the root is the verifier's).</summary>
    public string Terms => $"certificate {Identity.Label.Length}:{Identity.Label} {Identity.Value.Length}:{Identity.Value} {Issuer.Length}:{Issuer} sct={requireSct}";

    public BundleSigner ExpectedSigner(SigstoreBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return BundleSigner.AnyCertificate;
    }

    /// <summary>
    /// Checks, cheapest first so that a stranger's entry costs a parse and two string
    /// comparisons: a certificate is present and of Fulcio's shape, it names this identity and
    /// issuer, its key is the signer's, it was valid at <paramref name="signedAt"/> and allows
    /// digital signatures for code signing; then that it chains to a Fulcio CA of the trusted
    /// root that was valid then, with code signing allowed along the chain, and carries an SCT
    /// from a trusted CT log.
    /// </summary>
    public void Check(VerifiedBundle verified, DateTimeOffset signedAt)
    {
        ArgumentNullException.ThrowIfNull(verified);
        var der = verified.LeafCertificateDer ?? throw Fail("certificate", "the bundle was signed with a bare key, but this instance trusts certificates only");
        var leaf = ReadMatching(der);
        if (signedAt <= DateTimeOffset.UnixEpoch)
        {
            throw Fail("certificate time", "no signing time is known; a certificate can only be checked at the log's time");
        }

        if (!leaf.PublicKeyDer.AsSpan().SequenceEqual(verified.SignerKeyDer))
        {
            throw Fail("certificate key", "the signature was not made with the certificate's key");
        }

        CheckCertificate(leaf, signedAt);
    }

    /// <summary>
    /// The same checks for a certificate Fulcio just issued, at its own start, before anything is
    /// signed with it; a detached SCT Fulcio answered with must verify as well.
    /// </summary>
    public void CheckIssued(byte[] leafDer, byte[]? detachedSct)
    {
        ArgumentNullException.ThrowIfNull(leafDer);
        var leaf = ReadMatching(leafDer);
        CheckCertificate(leaf, leaf.NotBefore);
        if (requireSct && detachedSct is not null && SctVerifier.VerifyDetached(leafDer, detachedSct, root.CtLogs) is { } failure)
        {
            throw Fail("certificate transparency", "detached SCT: " + failure);
        }
    }

    /// <summary>The leaf, read to Fulcio's shape, when it names this identity and issuer: the cheap checks, made first.</summary>
    private FulcioCertificate ReadMatching(byte[] der)
    {
        FulcioCertificate leaf;
        try
        {
            leaf = FulcioCertificate.Read(der);
        }
        catch (FormatException e)
        {
            throw new LogVerificationException("certificate check failed: " + e.Message, e);
        }

        if (leaf.San != Identity)
        {
            throw Fail("certificate identity", $"SAN is {leaf.San} not {Identity}");
        }

        return string.Equals(leaf.Issuer, Issuer, StringComparison.Ordinal)
            ? leaf
            : throw Fail("certificate issuer", $"issuer is {leaf.Issuer} not {Issuer}");
    }

    /// <summary>Validity at <paramref name="at"/>, usages, then the costly part: chain and SCT.</summary>
    private void CheckCertificate(FulcioCertificate leaf, DateTimeOffset at)
    {
        if (at < leaf.NotBefore || at > leaf.NotAfter)
        {
            throw Fail("certificate validity", $"{Time(at)} is outside the certificate's validity ({Time(leaf.NotBefore)} to {Time(leaf.NotAfter)})");
        }

        if (!leaf.HasDigitalSignatureUsage || !leaf.HasCodeSigningUsage)
        {
            throw Fail("certificate usage", "the certificate does not allow digital signatures for code signing");
        }

        var issuerKey = CheckChain(leaf.Der, at);
        if (requireSct && SctVerifier.VerifyEmbedded(leaf.Der, issuerKey, root.CtLogs) is { } failure)
        {
            throw Fail("certificate transparency", failure);
        }
    }

    /// <summary>
    /// The leaf chains, at <paramref name="signedAt"/>, to a CA of the root whose own window
    /// contains that time; answers the issuing CA's DER key, which the SCT signs over.
    /// </summary>
    private byte[] CheckChain(byte[] leafDer, DateTimeOffset signedAt)
    {
        var reasons = new List<string>();
        using var leaf = X509CertificateLoader.LoadCertificate(leafDer);
        foreach (var ca in root.CertificateAuthorities)
        {
            var name = string.IsNullOrEmpty(ca.CommonName) ? ca.Uri : $"{ca.CommonName} ({ca.Uri})";
            if (ca.Certificates.Count == 0)
            {
                reasons.Add($"{name}: no certificates");
                continue;
            }

            if (signedAt < ca.ValidFrom || (ca.ValidUntil is { } until && signedAt > until))
            {
                reasons.Add($"{name}: {Time(signedAt)} is outside its validity ({Time(ca.ValidFrom)} to {(ca.ValidUntil is { } u ? Time(u) : "open")})");
                continue;
            }

            var (issuerKey, failure) = Chain(leaf, ca, signedAt);
            if (issuerKey is not null)
            {
                return issuerKey;
            }

            reasons.Add($"{name}: {failure}");
        }

        var detail = reasons.Count == 0
            ? "the trusted root has no certificate authorities"
            : "no trusted certificate authority issued the certificate: " + string.Join("; ", reasons);
        throw Fail("certificate chain", detail);
    }

    /// <summary>
    /// The issuing CA's key when the leaf chains to <paramref name="ca"/>'s root through its
    /// intermediates and every CA on the way that restricts its key usages allows code signing;
    /// else why not.
    /// </summary>
    private static (byte[]? IssuerKey, string? Failure) Chain(X509Certificate2 leaf, CertificateAuthority ca, DateTimeOffset signedAt)
    {
        var loaded = new List<X509Certificate2>();
        try
        {
            foreach (var der in ca.Certificates)
            {
                loaded.Add(X509CertificateLoader.LoadCertificate(der));
            }

            using var chain = AuthorityChain.For(loaded, signedAt);
            if (chain.Build(leaf) && chain.ChainElements.Count >= 2)
            {
                for (var i = 1; i < chain.ChainElements.Count; i++)
                {
                    var element = chain.ChainElements[i].Certificate;
                    if (element.Extensions["2.5.29.37"] is { } eku && !FulcioCertificate.HasCodeSigning(eku))
                    {
                        return (null, $"{element.Subject} does not allow code signing");
                    }
                }

                return (chain.ChainElements[1].Certificate.PublicKey.ExportSubjectPublicKeyInfo(), null);
            }

            var statuses = chain.ChainStatus
                .Where(s => s.Status != X509ChainStatusFlags.NoError)
                .Select(s => s.Status.ToString())
                .Distinct();
            var text = string.Join(", ", statuses);
            return (null, text.Length == 0 ? "the chain does not build" : text);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or FormatException)
        {
            return (null, "unusable CA certificate: " + e.Message);
        }
        finally
        {
            foreach (var c in loaded)
            {
                c.Dispose();
            }
        }
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("u", CultureInfo.InvariantCulture);

    private static LogVerificationException Fail(string check, string detail) => new($"{check} check failed: {detail}");
}
