using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tlogistry.Host;

/// <summary>
/// The certificate the listener serves HTTPS with, read from PEM files at start. The first
/// certificate of the certificate file is the server's; any that follow are sent along as its
/// chain, so clients that trust only the root can build the path.
/// </summary>
internal sealed class ServerTls
{
    private ServerTls(X509Certificate2 certificate, X509Certificate2Collection chain)
    {
        Certificate = certificate;
        Chain = chain;
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>Intermediates (and a root, if the file has one) after the server certificate.</summary>
    public X509Certificate2Collection Chain { get; }

    /// <summary>
    /// Null when neither file is given (plain HTTP). One without the other, a file that cannot be
    /// read, or a key that is not the certificate's throws <see cref="FormatException"/> with the reason.
    /// </summary>
    public static ServerTls? Load(string? certPath, string? keyPath)
    {
        var hasCert = !string.IsNullOrWhiteSpace(certPath);
        var hasKey = !string.IsNullOrWhiteSpace(keyPath);
        if (!hasCert && !hasKey)
        {
            return null;
        }

        if (!hasCert || !hasKey)
        {
            throw new FormatException(
                $"--tls-cert and --tls-key go together: give both PEM files to serve HTTPS, or neither for plain HTTP (got only {(hasCert ? "--tls-cert" : "--tls-key")})");
        }

        try
        {
            // Throws when the key is not the certificate's: a mismatched pair never gets to a handshake.
            var certificate = X509Certificate2.CreateFromPemFile(certPath!, keyPath);
            var all = new X509Certificate2Collection();
            all.ImportFromPemFile(certPath!);
            var chain = new X509Certificate2Collection();
            foreach (var c in all.Skip(1))
            {
                chain.Add(c);
            }

            return new ServerTls(certificate, chain);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new FormatException($"cannot serve HTTPS with --tls-cert {certPath} and --tls-key {keyPath}: {e.Message}", e);
        }
    }

    public bool ValidAt(DateTime utc) =>
        Certificate.NotBefore.ToUniversalTime() <= utc && utc <= Certificate.NotAfter.ToUniversalTime();

    /// <summary>The subject and validity, for the start-up log.</summary>
    public string Describe() =>
        $"{Certificate.Subject}, valid {Certificate.NotBefore.ToUniversalTime():yyyy-MM-dd} to {Certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}"
        + (Chain.Count > 0 ? $", with {Chain.Count} chain certificate(s)" : "");
}
