using Tlogistry.Transparency.Sigstore.Identity;
using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tlogistry.Signing.Keyless;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Support.Doubles;

/// <summary>
/// A certificate authority speaking Fulcio's v2 REST API (<c>POST /api/v2/signingCert</c>) on
/// loopback. It trusts any well-formed JWT (the signature is not checked), verifies the proof of
/// possession over the token's principal (email if present, else sub), and issues a leaf with the
/// requested key, one critical SAN typed as Fulcio types it for the token's issuer (see
/// <see cref="SanFor"/>), codeSigning EKU, digitalSignature key usage, the issuer extensions
/// 1.3.6.1.4.1.57264.1.1 and .1.8, and an SCT from its CT log embedded (or detached), signed by
/// an intermediate under a root. Errors are gRPC-gateway JSON, like Fulcio's.
/// </summary>
internal sealed class TestFulcio : IAsyncDisposable
{
    private static readonly Oid CodeSigning = new("1.3.6.1.5.5.7.3.3");

    private readonly ECDsa _rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
    private readonly ECDsa _intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
    private readonly X509Certificate2 _intermediateWithKey;
    private readonly TimeProvider _time;
    private WebApplication? _app;
    private int _requests;

    private TestFulcio(TimeProvider time)
    {
        _time = time;
        var now = time.GetUtcNow();
        CtLog = new TestCtLog(now.AddDays(-1));
        var rootRequest = new CertificateRequest("O=tlogistry-test, CN=test-fulcio-root", _rootKey, HashAlgorithmName.SHA384);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Root = rootRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));

        var intermediateRequest = new CertificateRequest("O=tlogistry-test, CN=test-fulcio-intermediate", _intermediateKey, HashAlgorithmName.SHA384);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        intermediateRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([CodeSigning], false));
        using var signed = intermediateRequest.Create(Root, now.AddDays(-1), now.AddYears(5), [1, 2, 3, 4]);
        _intermediateWithKey = signed.CopyWithPrivateKey(_intermediateKey);
        Intermediate = X509CertificateLoader.LoadCertificate(_intermediateWithKey.RawData);
    }

    public X509Certificate2 Root { get; }

    public X509Certificate2 Intermediate { get; }

    /// <summary>The CT log that signs this CA's SCTs.</summary>
    public TestCtLog CtLog { get; }

    /// <summary>False issues leaves with no SCT at all, as a CA that skipped the CT log would.</summary>
    public bool IssueSct { get; set; } = true;

    /// <summary>Added to this CA's clock when it issues: a host clock behind Fulcio's.</summary>
    public TimeSpan ClockAhead { get; set; }

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Lifetime of issued leaves; Fulcio's is 10 minutes.</summary>
    public TimeSpan LeafLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Answer with <c>signedCertificateDetachedSct</c> instead of the embedded shape.</summary>
    public bool DetachedSct { get; set; }

    /// <summary>Delay before each answer, to widen races in concurrency tests.</summary>
    public TimeSpan AnswerDelay { get; set; }

    /// <summary>How many signingCert requests arrived (valid or not).</summary>
    public int Requests => Volatile.Read(ref _requests);

    public static async Task<TestFulcio> StartAsync(TimeProvider? time = null)
    {
        var fulcio = new TestFulcio(time ?? TimeProvider.System);
        (fulcio._app, fulcio.BaseUrl) = await LoopbackApp.StartAsync(fulcio.HandleAsync);
        return fulcio;
    }

    /// <summary>A trusted root with these logs, this CA and its CT log.</summary>
    public TrustedRoot TrustedRoot(IEnumerable<TrustedLog> logs) => new(logs, [Authority()], [CtLog.Describe()]);

    /// <summary>A trusted_root.json certificate authority entry for this CA (intermediate first, root last).</summary>
    public CertificateAuthority Authority() => new(
        "tlogistry-test", "test-fulcio", BaseUrl.AbsoluteUri.TrimEnd('/'), [Intermediate.RawData, Root.RawData], Root.NotBefore.ToUniversalTime(), null);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await LoopbackApp.StopAsync(_app);
        }

        _intermediateWithKey.Dispose();
        CtLog.Dispose();
        _rootKey.Dispose();
        _intermediateKey.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Method != "POST" || context.Request.Path != "/api/v2/signingCert")
        {
            await ErrorAsync(context, HttpStatusCode.NotFound, 5, "Not Found");
            return;
        }

        Interlocked.Increment(ref _requests);
        if (AnswerDelay > TimeSpan.Zero)
        {
            await Task.Delay(AnswerDelay);
        }

        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body);
        }
        catch (JsonException)
        {
            await ErrorAsync(context, HttpStatusCode.BadRequest, 3, "request body is not JSON");
            return;
        }

        var token = (string?)body?["credentials"]?["oidcIdentityToken"];
        JwtClaims claims;
        JsonNode? payload;
        try
        {
            claims = JwtClaims.Parse(token ?? "");
            var part = token!.Split('.')[1].Replace('-', '+').Replace('_', '/');
            payload = JsonNode.Parse(Convert.FromBase64String(part.PadRight(part.Length + ((4 - (part.Length % 4)) % 4), '=')));
        }
        catch (FormatException)
        {
            await ErrorAsync(context, HttpStatusCode.Unauthorized, 16, "There was an error processing the identity token");
            return;
        }

        var pem = (string?)body?["publicKeyRequest"]?["publicKey"]?["content"];
        var proof = (string?)body?["publicKeyRequest"]?["proofOfPossession"];
        using var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem ?? "");
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            await ErrorAsync(context, HttpStatusCode.BadRequest, 3, "The public key supplied in the request could not be parsed");
            return;
        }

        bool proven;
        try
        {
            proven = key.VerifyData(Encoding.UTF8.GetBytes(claims.ProofSubject), Convert.FromBase64String(proof ?? ""), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (FormatException)
        {
            proven = false;
        }

        if (!proven)
        {
            await ErrorAsync(context, HttpStatusCode.BadRequest, 3, "The signature supplied in the request could not be verified");
            return;
        }

        var leaf = Issue(key, claims, payload);
        var chain = new JsonArray(Pem(leaf), Pem(Intermediate.RawData), Pem(Root.RawData));
        var answer = DetachedSct
            ? new JsonObject
            {
                ["signedCertificateDetachedSct"] = new JsonObject
                {
                    ["chain"] = new JsonObject { ["certificates"] = chain },
                    ["signedCertificateTimestamp"] = Convert.ToBase64String(CtLog.DetachedSct(leaf, _time.GetUtcNow() + ClockAhead)),
                },
            }
            : new JsonObject { ["signedCertificateEmbeddedSct"] = new JsonObject { ["chain"] = new JsonObject { ["certificates"] = chain } } };
        context.Response.StatusCode = 201;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.ToJsonString());
    }

    /// <summary>
    /// The SAN Fulcio puts in a leaf for the token's issuer type: a GitHub Actions workflow URI
    /// (<c>https://github.com/</c> + <c>job_workflow_ref</c>), a GitLab CI config URI
    /// (<c>https://</c> + <c>ci_config_ref_uri</c>), a Kubernetes service account URI, the
    /// e-mail of e-mail issuers, else the subject as a URI.
    /// </summary>
    public static (bool IsEmail, string Value) SanFor(JwtClaims claims, JsonNode? payload)
    {
        ArgumentNullException.ThrowIfNull(claims);
        if ((string?)payload?["job_workflow_ref"] is { } workflow)
        {
            return (false, "https://github.com/" + workflow);
        }

        if ((string?)payload?["ci_config_ref_uri"] is { } config)
        {
            return (false, "https://" + config);
        }

        if (payload?["kubernetes.io"] is { } k8s)
        {
            return (false, $"https://kubernetes.io/namespaces/{(string?)k8s["namespace"]}/serviceaccounts/{(string?)k8s["serviceaccount"]?["name"]}");
        }

        return claims.Email is { } email ? (true, email) : (false, claims.Subject);
    }

    private byte[] Issue(ECDsa key, JwtClaims claims, JsonNode? payload)
    {
        var request = new CertificateRequest(new X500DistinguishedName(""), new PublicKey(key), HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        var (isEmail, value) = SanFor(claims, payload);
        if (isEmail)
        {
            san.AddEmailAddress(value);
        }
        else
        {
            san.AddUri(new Uri(value));
        }

        request.CertificateExtensions.Add(san.Build(critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([CodeSigning], false));
        request.CertificateExtensions.Add(new X509Extension(FulcioCertificate.IssuerV1Oid, Encoding.UTF8.GetBytes(claims.Issuer), false));
        var utf8 = new AsnWriter(AsnEncodingRules.DER);
        utf8.WriteCharacterString(UniversalTagNumber.UTF8String, claims.Issuer);
        request.CertificateExtensions.Add(new X509Extension(FulcioCertificate.IssuerV2Oid, utf8.Encode(), false));
        var now = _time.GetUtcNow() + ClockAhead;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        if (IssueSct && !DetachedSct)
        {
            return CtLog.IssueWithEmbeddedSct(request, _intermediateWithKey, now, now + LeafLifetime, serial, now);
        }

        using var leaf = request.Create(_intermediateWithKey, now, now + LeafLifetime, serial);
        return leaf.RawData;
    }

    private static string Pem(byte[] der) => PemEncoding.WriteString("CERTIFICATE", der) + "\n";

    private static async Task ErrorAsync(HttpContext context, HttpStatusCode status, int code, string message)
    {
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(new JsonObject { ["code"] = code, ["message"] = message, ["details"] = new JsonArray() }.ToJsonString());
    }
}
