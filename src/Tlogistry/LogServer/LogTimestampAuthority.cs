using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;
using Tlogistry.Signing.Timestamps;
using Tlogistry.Transparency.Embedded;

namespace Tlogistry.LogServer;

/// <summary>
/// <c>tlogistry log serve</c> as an RFC 3161 timestamp authority on the Sigstore TSA API
/// (<c>POST /api/v1/timestamp</c>), so keyless signers on this log's v2 API, whose entries
/// state no time, can have each signature dated. Its key (<c>tsa-key.pem</c>) and chain
/// (<c>tsa-chain.pem</c>: the TSA certificate, then its root) live in the data directory:
/// made at first start, or put there by the operator; the trusted root it serves names it.
/// </summary>
internal sealed class LogTimestampAuthority : IDisposable
{
    public const string KeyFile = "tsa-key.pem";
    public const string ChainFile = "tsa-chain.pem";

    /// <summary>A TimeStampReq is a hash and a few small fields.</summary>
    private const int MaxRequestBytes = 4096;

    private readonly ECDsa key;
    private readonly X509Certificate2 leaf;
    private readonly TimestampIssuer issuer;
    private readonly TimeProvider time;

    private LogTimestampAuthority(ECDsa key, IReadOnlyList<X509Certificate2> chain, TimeProvider time)
    {
        this.key = key;
        leaf = chain[0];
        Chain = chain;
        this.time = time;
        issuer = new TimestampIssuer(leaf, key);
    }

    /// <summary>The TSA certificate first, then its root.</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; }

    /// <summary>Loads the key and chain from <paramref name="dataDir"/>, or makes and saves them.</summary>
    public static LogTimestampAuthority LoadOrCreate(string dataDir, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var keyPath = Path.Combine(dataDir, KeyFile);
        var chainPath = Path.Combine(dataDir, ChainFile);
        if (!File.Exists(keyPath) || !File.Exists(chainPath))
        {
            var (madeKey, madeChain) = Make(time.GetUtcNow());
            var pem = string.Concat(madeChain.Select(c => c.ExportCertificatePem() + "\n"));
            DurableFile.Write(chainPath, System.Text.Encoding.ASCII.GetBytes(pem), atomicReplace: true);
            DurableFile.Write(keyPath, System.Text.Encoding.ASCII.GetBytes(madeKey.ExportPkcs8PrivateKeyPem() + "\n"), atomicReplace: true);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            return new LogTimestampAuthority(madeKey, madeChain, time);
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(keyPath));
            var chain = new X509Certificate2Collection();
            chain.ImportFromPemFile(chainPath);
            if (chain.Count == 0 || chain[0].GetECDsaPublicKey() is not { } pub
                || !pub.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new FormatException($"{chainPath} must start with the certificate of the key in {keyPath}");
            }

            return new LogTimestampAuthority(key, [.. chain], time);
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw new FormatException($"{keyPath} / {chainPath}: not an ECDSA key and its PEM certificate chain: {e.Message}", e);
        }
    }

    /// <summary>POST /api/v1/timestamp: a DER TimeStampReq in, a DER TimeStampResp out.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        if (context.Request.ContentLength is > MaxRequestBytes)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, "a timestamp request is at most 4096 bytes");
            return;
        }

        using var body = new MemoryStream();
        var chunk = new byte[1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (body.Length + read > MaxRequestBytes)
            {
                await ApiResponses.ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, "a timestamp request is at most 4096 bytes");
                return;
            }

            body.Write(chunk, 0, read);
        }

        var answer = issuer.Answer(body.ToArray(), time.GetUtcNow());
        context.Response.ContentType = TimestampClient.ResponseMediaType;
        await context.Response.Body.WriteAsync(answer, context.RequestAborted);
    }

    public void Dispose()
    {
        key.Dispose();
        foreach (var c in Chain)
        {
            c.Dispose();
        }
    }

    /// <summary>A P-256 root, used once to issue the TSA certificate and then dropped, and the TSA's key.</summary>
    private static (ECDsa Key, X509Certificate2[] Chain) Make(DateTimeOffset now)
    {
        var from = now.AddMinutes(-5);
        var until = now.AddYears(10);
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("O=tlogistry, CN=tlogistry log TSA root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        using var root = rootRequest.CreateSelfSigned(from, until);

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("O=tlogistry, CN=tlogistry log TSA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(Transparency.Sigstore.SignedTimestamp.TimeStampingOid)], true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        var leaf = request.Create(root, from, until, RandomNumberGenerator.GetBytes(16));
        return (key, [leaf, X509CertificateLoader.LoadCertificate(root.RawData)]);
    }
}
