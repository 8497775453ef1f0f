using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tlogistry.Tests.Support.Data;

/// <summary>
/// A throw-away certificate authority and a server certificate for 127.0.0.1 and localhost,
/// written as the PEM files the proxy reads (<see cref="CertPath"/>: server certificate then
/// the CA; <see cref="KeyPath"/>: PKCS#8 key) and as a containers cert directory
/// (<see cref="CertDir"/>/ca.crt) for skopeo's and podman's <c>--cert-dir</c>.
/// <see cref="AuthorityPath"/> is the authority alone, e.g. for <c>SSL_CERT_FILE</c>.
/// </summary>
public sealed class TestTls : IDisposable
{
    private readonly TempDirectory _dir = new("tlogistry-tls-");

    /// <param name="addresses">More addresses the server certificate names, e.g. another loopback address.</param>
    public TestTls(params IPAddress[] addresses)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=tlogistry test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        Authority = caRequest.CreateSelfSigned(now.AddHours(-1), now.AddDays(2));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        foreach (var address in addresses)
        {
            names.AddIpAddress(address);
        }

        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Authority, true, false));
        using var server = serverRequest.Create(Authority, now.AddHours(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(16));

        CertPath = _dir.Combine("server.crt");
        KeyPath = _dir.Combine("server.key");
        File.WriteAllText(CertPath, server.ExportCertificatePem() + "\n" + Authority.ExportCertificatePem() + "\n");
        File.WriteAllText(KeyPath, serverKey.ExportPkcs8PrivateKeyPem() + "\n");
        AuthorityPath = _dir.Combine("ca.pem");
        File.WriteAllText(AuthorityPath, Authority.ExportCertificatePem() + "\n");
        CertDir = _dir.Combine("certs.d");
        Directory.CreateDirectory(CertDir);
        File.WriteAllText(Path.Combine(CertDir, "ca.crt"), Authority.ExportCertificatePem() + "\n");
    }

    public X509Certificate2 Authority { get; }

    public string CertPath { get; }

    public string KeyPath { get; }

    public string AuthorityPath { get; }

    /// <summary>A directory holding only ca.crt, the authority.</summary>
    public string CertDir { get; }

    /// <summary>Settings that make the proxy serve HTTPS with this certificate.</summary>
    public Dictionary<string, string?> Settings => new() { ["Tlogistry:TlsCert"] = CertPath, ["Tlogistry:TlsKey"] = KeyPath };

    /// <summary>An HttpClient that trusts only this authority (and checks the name as usual).</summary>
    public HttpClient Client(Uri baseUri, Version version) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trusted(certificate, errors) },
    })
    {
        BaseAddress = baseUri,
        DefaultRequestVersion = version,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    public void Dispose()
    {
        Authority.Dispose();
        _dir.Dispose();
    }

    private bool Trusted(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
