using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Signing.Identity;

/// <summary>
/// Keyless mode: sightings count when a Fulcio certificate from the trusted root binds the
/// signing key to exactly this identity (SAN email or URI) from exactly this OIDC issuer,
/// and was valid when the log integrated the entry.
/// </summary>
internal sealed class CertificatePolicy : ISignerPolicy
{
    private readonly TrustedRoot root;

    public CertificatePolicy(TrustedRoot root, string identity, string issuer)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentException.ThrowIfNullOrEmpty(identity);
        ArgumentException.ThrowIfNullOrEmpty(issuer);
        this.root = root;
        Identity = identity;
        Issuer = issuer;
    }

    /// <summary>The SAN (email or URI) a certificate must name, compared exactly.</summary>
    public string Identity { get; }

    /// <summary>The OIDC issuer a certificate must name, compared exactly.</summary>
    public string Issuer { get; }

    public string Describe => $"certificate for {Identity} from {Issuer}";

    public BundleSigner ExpectedSigner(SigstoreBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return BundleSigner.AnyCertificate;
    }

    /// <summary>
    /// Checks, in order: a certificate is present and readable, its key is the signer's, it
    /// was valid at <paramref name="signedAt"/>, it chains to a Fulcio CA of the trusted root
    /// that was valid then, it allows code signing, and it names this identity and issuer.
    /// </summary>
    public void Check(VerifiedBundle verified, DateTimeOffset signedAt)
    {
        ArgumentNullException.ThrowIfNull(verified);
        if (signedAt <= DateTimeOffset.UnixEpoch)
        {
            throw Fail("certificate time", "no signing time is known; a certificate can only be checked at the log's time");
        }

        var der = verified.LeafCertificateDer ?? throw Fail("certificate", "the bundle was signed with a bare key, but this instance trusts certificates only");
        FulcioCertificate leaf;
        try
        {
            leaf = FulcioCertificate.Read(der);
        }
        catch (FormatException e)
        {
            throw new LogVerificationException("certificate check failed: " + e.Message, e);
        }

        if (!leaf.PublicKeyDer.AsSpan().SequenceEqual(verified.SignerKeyDer))
        {
            throw Fail("certificate key", "the signature was not made with the certificate's key");
        }

        if (signedAt < leaf.NotBefore || signedAt > leaf.NotAfter)
        {
            throw Fail("certificate validity", $"{Time(signedAt)} is outside the certificate's validity ({Time(leaf.NotBefore)} to {Time(leaf.NotAfter)})");
        }

        CheckChain(der, signedAt);

        if (!leaf.HasCodeSigningUsage)
        {
            throw Fail("certificate usage", "the certificate does not allow code signing");
        }

        if (!leaf.Identities.Contains(Identity, StringComparer.Ordinal))
        {
            var names = leaf.Identities.Count == 0 ? "empty" : string.Join(", ", leaf.Identities);
            throw Fail("certificate identity", $"SAN is {names} not {Identity}");
        }

        if (!string.Equals(leaf.Issuer, Issuer, StringComparison.Ordinal))
        {
            throw Fail("certificate issuer", $"issuer is {leaf.Issuer ?? "absent"} not {Issuer}");
        }
    }

    /// <summary>The leaf chains, at <paramref name="signedAt"/>, to a CA of the root whose own window contains that time.</summary>
    private void CheckChain(byte[] leafDer, DateTimeOffset signedAt)
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

            var failure = Chain(leaf, ca, signedAt);
            if (failure is null)
            {
                return;
            }

            reasons.Add($"{name}: {failure}");
        }

        var detail = reasons.Count == 0
            ? "the trusted root has no certificate authorities"
            : "no trusted certificate authority issued the certificate: " + string.Join("; ", reasons);
        throw Fail("certificate chain", detail);
    }

    /// <summary>Null when the leaf chains to <paramref name="ca"/>'s root through its intermediates, else why not.</summary>
    private static string? Chain(X509Certificate2 leaf, CertificateAuthority ca, DateTimeOffset signedAt)
    {
        var loaded = new List<X509Certificate2>();
        try
        {
            foreach (var der in ca.Certificates)
            {
                loaded.Add(X509CertificateLoader.LoadCertificate(der));
            }

            using var chain = new X509Chain();
            var policy = chain.ChainPolicy;
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.Add(loaded[^1]);
            for (var i = 0; i < loaded.Count - 1; i++)
            {
                policy.ExtraStore.Add(loaded[i]);
            }

            policy.RevocationMode = X509RevocationMode.NoCheck;
            policy.DisableCertificateDownloads = true;
            policy.VerificationTime = signedAt.UtcDateTime;
            policy.VerificationTimeIgnored = false;
            if (chain.Build(leaf))
            {
                return null;
            }

            var statuses = chain.ChainStatus
                .Where(s => s.Status != X509ChainStatusFlags.NoError)
                .Select(s => s.Status.ToString())
                .Distinct();
            var text = string.Join(", ", statuses);
            return text.Length == 0 ? "the chain does not build" : text;
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            return "unusable CA certificate: " + e.Message;
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
