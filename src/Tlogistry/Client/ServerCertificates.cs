using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tlogistry.Client;

/// <summary>
/// Which HTTPS servers the client commands believe: the system's roots, and the certificate
/// authorities of <c>--ca-cert</c> (a private CA in front of a proxy or log) in addition. A
/// certificate must still name the host asked for; only an untrusted chain is re-checked
/// against the extra authorities.
/// </summary>
internal sealed class ServerCertificates
{
    private readonly X509Certificate2Collection _authorities;

    private ServerCertificates(X509Certificate2Collection authorities) => _authorities = authorities;

    /// <summary>The system's roots alone.</summary>
    public static ServerCertificates System { get; } = new([]);

    /// <summary>The system's roots and the certificates of a PEM file (none given: the system's alone).</summary>
    public static ServerCertificates Load(string? caCertPath)
    {
        if (string.IsNullOrEmpty(caCertPath))
        {
            return System;
        }

        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(caCertPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ClientException($"--ca-cert {caCertPath}: {e.Message}", e);
        }

        return authorities.Count > 0
            ? new ServerCertificates(authorities)
            : throw new ClientException($"--ca-cert {caCertPath} holds no PEM certificate");
    }

    /// <summary>A handler that follows no redirects and checks server certificates as described above.</summary>
    public SocketsHttpHandler Handler() => new()
    {
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, certificate, sent, errors) => Accepts(certificate, sent, errors) },
    };

    /// <summary>A client for the JSON services (logs): no client-wide timeout, each attempt has its own.</summary>
    public HttpClient JsonClient() => new(Handler()) { Timeout = Timeout.InfiniteTimeSpan };

    private bool Accepts(X509Certificate? certificate, X509Chain? sent, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        // A wrong name or a missing certificate is never excused; an unknown issuer may be ours.
        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null || _authorities.Count == 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (sent is not null)
        {
            foreach (var element in sent.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (certificate is X509Certificate2 presented)
        {
            return chain.Build(presented);
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
