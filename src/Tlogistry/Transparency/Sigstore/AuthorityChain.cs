using System.Security.Cryptography.X509Certificates;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// A chain builder that trusts one trusted-root authority alone: its last certificate as the
/// only root, the others as intermediates, at a given time, with nothing fetched and no
/// revocation (a Sigstore trusted root is the whole trust decision). The caller disposes it.
/// </summary>
internal static class AuthorityChain
{
    public static X509Chain For(IReadOnlyList<X509Certificate2> authority, DateTimeOffset at)
    {
        var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.Add(authority[^1]);
        for (var i = 0; i < authority.Count - 1; i++)
        {
            policy.ExtraStore.Add(authority[i]);
        }

        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.VerificationTime = at.UtcDateTime;
        policy.VerificationTimeIgnored = false;
        return chain;
    }
}
