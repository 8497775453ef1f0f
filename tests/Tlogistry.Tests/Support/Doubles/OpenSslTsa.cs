using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Support.Doubles;

/// <summary>How the timestamp authority behind <see cref="OpenSslTsa"/> answers.</summary>
internal enum TsaBehaviour
{
    /// <summary><c>openssl ts -reply</c> to the request as sent.</summary>
    Honest,

    /// <summary>A real token, but for a query over other data (another imprint, no nonce of ours).</summary>
    OtherImprint,

    /// <summary>Bytes that are not DER.</summary>
    Garbage,

    /// <summary>A megabyte, with no length announced.</summary>
    Huge,

    /// <summary>Holds the request open longer than any client waits.</summary>
    Slow,

    /// <summary>500 Internal Server Error.</summary>
    Error,
}

/// <summary>
/// An RFC 3161 timestamp authority that is not ours: OpenSSL's <c>openssl ts -reply</c>, with
/// a P-256 root and a TSA certificate (critical timeStamping usage) made for it, behind a
/// small HTTP front speaking the Sigstore TSA API (<c>POST /api/v1/timestamp</c>). Its
/// <see cref="Behaviour"/> can turn it hostile.
/// </summary>
internal sealed class OpenSslTsa : IAsyncDisposable
{
    private readonly TempDirectory dir;
    private readonly SemaphoreSlim one = new(1, 1);
    private WebApplication? app;

    private OpenSslTsa(TempDirectory dir) => this.dir = dir;

    public Uri Url { get; private set; } = null!;

    public TsaBehaviour Behaviour { get; set; } = TsaBehaviour.Honest;

    /// <summary>How many requests reached it.</summary>
    public int Requests { get; private set; }

    public string CaPem => dir.Combine("ca.pem");

    public string TsaPem => dir.Combine("tsa.pem");

    public static async Task<OpenSslTsa> StartAsync(string name = "test-tsa")
    {
        var tsa = new OpenSslTsa(new TempDirectory("tlogistry-tsa-"));
        await tsa.MakeKeysAsync(name);
        var (app, baseUri) = await LoopbackApp.StartAsync(tsa.HandleAsync);
        tsa.app = app;
        tsa.Url = new Uri(baseUri, "api/v1/timestamp");
        return tsa;
    }

    /// <summary>This authority as a trusted root names it: the TSA certificate, then the root.</summary>
    public CertificateAuthority Authority(DateTimeOffset? validFrom = null, DateTimeOffset? validUntil = null) => new(
        "tlogistry tests",
        "test-tsa",
        Url.ToString(),
        [Der(TsaPem), Der(CaPem)],
        validFrom ?? DateTimeOffset.UnixEpoch,
        validUntil);

    /// <summary>Runs <c>openssl ts -verify</c> on an answer: OpenSSL's own word that it dates <paramref name="data"/>.</summary>
    public async Task<ToolResult> OpenSslVerifyAsync(byte[] data, byte[] answer)
    {
        var dataFile = dir.Combine($"verify-{Guid.NewGuid():N}.bin");
        var answerFile = dataFile + ".tsr";
        await File.WriteAllBytesAsync(dataFile, data);
        await File.WriteAllBytesAsync(answerFile, answer);
        return await Tool.RunAsync(OpenSsl, ["ts", "-verify", "-data", dataFile, "-in", answerFile, "-CAfile", CaPem, "-untrusted", TsaPem], check: false);
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await LoopbackApp.StopAsync(app);
        }

        one.Dispose();
        dir.Dispose();
    }

    private static string OpenSsl => Tool.Require("openssl", "openssl");

    private static byte[] Der(string pemFile) =>
        System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(pemFile)).RawData;

    private async Task MakeKeysAsync(string name)
    {
        await File.WriteAllTextAsync(dir.Combine("tsa-ext.cnf"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n");
        await File.WriteAllTextAsync(dir.Combine("serial"), "01\n");
        await File.WriteAllTextAsync(dir.Combine("openssl.cnf"), $"""
            [ tsa ]
            default_tsa = tsa_config
            [ tsa_config ]
            dir = {dir.Path}
            serial = $dir/serial
            crypto_device = builtin
            signer_cert = $dir/tsa.pem
            certs = $dir/tsa.pem
            signer_key = $dir/tsa.key
            signer_digest = sha256
            default_policy = 1.3.6.1.4.1.57264.2
            other_policies = 1.2.3.4.1
            digests = sha256, sha384, sha512
            accuracy = secs:1
            ordering = yes
            tsa_name = no
            ess_cert_id_chain = no
            ess_cert_id_alg = sha256
            """);
        await Run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", dir.Combine("ca.key"));
        await Run("req", "-x509", "-new", "-key", dir.Combine("ca.key"), "-subj", $"/O=tlogistry tests/CN={name}-root", "-days", "3650", "-out", CaPem,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        await Run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", dir.Combine("tsa.key"));
        await Run("req", "-new", "-key", dir.Combine("tsa.key"), "-subj", $"/O=tlogistry tests/CN={name}", "-out", dir.Combine("tsa.csr"));
        await Run("x509", "-req", "-in", dir.Combine("tsa.csr"), "-CA", CaPem, "-CAkey", dir.Combine("ca.key"), "-CAcreateserial", "-days", "3650",
            "-extfile", dir.Combine("tsa-ext.cnf"), "-out", TsaPem);
    }

    private Task<ToolResult> Run(params string[] args) => Tool.RunAsync(OpenSsl, args);

    private async Task HandleAsync(HttpContext context)
    {
        Requests++;
        if (context.Request.Method != HttpMethods.Post || context.Request.Path != "/api/v1/timestamp")
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        switch (Behaviour)
        {
            case TsaBehaviour.Garbage:
                await Answer(context, "this is not a timestamp response"u8.ToArray());
                return;
            case TsaBehaviour.Huge:
                context.Response.ContentType = "application/timestamp-reply";
                var chunk = new byte[64 << 10];
                for (var i = 0; i < 16 && !context.RequestAborted.IsCancellationRequested; i++)
                {
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                }

                return;
            case TsaBehaviour.Slow:
                await Task.Delay(TimeSpan.FromMinutes(2), context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            case TsaBehaviour.Error:
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return;
        }

        await one.WaitAsync(context.RequestAborted);
        try
        {
            var id = Guid.NewGuid().ToString("N");
            var query = dir.Combine(id + ".tsq");
            if (Behaviour == TsaBehaviour.OtherImprint)
            {
                var other = dir.Combine(id + ".other");
                await File.WriteAllBytesAsync(other, Guid.NewGuid().ToByteArray());
                await Run("ts", "-query", "-data", other, "-sha256", "-cert", "-no_nonce", "-out", query);
            }
            else
            {
                await File.WriteAllBytesAsync(query, body.ToArray());
            }

            var reply = dir.Combine(id + ".tsr");
            await Run("ts", "-reply", "-config", dir.Combine("openssl.cnf"), "-queryfile", query, "-out", reply);
            await Answer(context, await File.ReadAllBytesAsync(reply));
        }
        finally
        {
            one.Release();
        }
    }

    private static async Task Answer(HttpContext context, byte[] bytes)
    {
        context.Response.ContentType = "application/timestamp-reply";
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }
}
