using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tlogistry.Http;

namespace Tlogistry.Signing.Keyless;

/// <summary>
/// A certificate chain from Fulcio, DER, leaf first, and the detached SCT when Fulcio sent one
/// apart from the certificate (otherwise the SCT is embedded in the leaf).
/// </summary>
internal sealed record FulcioChain(IReadOnlyList<byte[]> Certificates, byte[]? DetachedSct);

/// <summary>Fulcio refused or could not be reached; the message names the status and Fulcio's message.</summary>
internal sealed class FulcioException : Exception
{
    public FulcioException(string message, HttpStatusCode? status = null, Exception? inner = null)
        : base(message, inner)
    {
        Status = status;
    }

    public HttpStatusCode? Status { get; }

    /// <summary>Fulcio answered, but with a certificate this instance's policy refuses (another identity, no SCT, …): a setting is wrong, not a service down.</summary>
    public bool CertificateRefused { get; init; }
}

/// <summary>
/// Fulcio's v2 REST API, <c>POST /api/v2/signingCert</c>: presents an OIDC identity token and a
/// public key, proves possession of the key by signing the token's principal name, and returns
/// the issued chain. Both answer shapes (embedded and detached SCT) are understood.
/// </summary>
internal sealed class FulcioClient
{
    private readonly JsonHttp _http;
    private readonly Uri _url;

    public FulcioClient(Uri baseUrl, HttpClient http, JsonHttpOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        BaseUrl = new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + "/");
        _url = new Uri(BaseUrl, "api/v2/signingCert");
        _http = new JsonHttp(http, options ?? JsonHttpOptions.ForKeyless(), logger);
    }

    public Uri BaseUrl { get; }

    /// <exception cref="FormatException">The token is not a JWT naming a subject.</exception>
    /// <exception cref="FulcioException">Fulcio refused, failed, or answered something unreadable.</exception>
    public async Task<FulcioChain> RequestCertificateAsync(string identityToken, ECDsa key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identityToken);
        ArgumentNullException.ThrowIfNull(key);
        var claims = JwtClaims.Parse(identityToken);
        var proof = key.SignData(Encoding.UTF8.GetBytes(claims.ProofSubject), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var body = RequestBody(identityToken, key.ExportSubjectPublicKeyInfoPem(), proof);

        HttpAnswer answer;
        try
        {
            answer = await _http.SendForAnswerAsync(HttpMethod.Post, _url, body, _http.Options.MaxResponseBytes, null, cancellationToken);
        }
        catch (HttpTransportException e)
        {
            throw new FulcioException($"Fulcio unreachable: {e.Message}", null, e);
        }

        if (!answer.IsSuccess)
        {
            throw new FulcioException($"Fulcio answered {(int)answer.Status} {answer.Status}: {ErrorMessage(answer)}", answer.Status);
        }

        return ParseAnswer(answer.Body);
    }

    internal static byte[] RequestBody(string identityToken, string publicKeyPem, byte[] proof)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("credentials");
            w.WriteString("oidcIdentityToken", identityToken);
            w.WriteEndObject();
            w.WriteStartObject("publicKeyRequest");
            w.WriteStartObject("publicKey");
            w.WriteString("algorithm", "ECDSA");
            w.WriteString("content", publicKeyPem);
            w.WriteEndObject();
            w.WriteString("proofOfPossession", Convert.ToBase64String(proof));
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads <c>signedCertificateEmbeddedSct</c> or <c>signedCertificateDetachedSct</c> into DER, leaf first.</summary>
    internal static FulcioChain ParseAnswer(byte[] json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            byte[]? sct = null;
            JsonElement signed;
            if (root.TryGetProperty("signedCertificateEmbeddedSct", out var embedded))
            {
                signed = embedded;
            }
            else if (root.TryGetProperty("signedCertificateDetachedSct", out var detached))
            {
                signed = detached;
                if (detached.TryGetProperty("signedCertificateTimestamp", out var t) && t.GetString() is { Length: > 0 } b64)
                {
                    sct = Convert.FromBase64String(b64);
                }
            }
            else
            {
                throw new FulcioException("Fulcio answer has neither signedCertificateEmbeddedSct nor signedCertificateDetachedSct");
            }

            var certificates = new List<byte[]>();
            foreach (var pem in signed.GetProperty("chain").GetProperty("certificates").EnumerateArray())
            {
                // A chain entry may itself hold several PEM blocks.
                var text = pem.GetString() ?? "";
                var span = text.AsSpan();
                while (PemEncoding.TryFind(span, out var fields))
                {
                    if (span[fields.Label].SequenceEqual("CERTIFICATE"))
                    {
                        certificates.Add(Convert.FromBase64String(span[fields.Base64Data].ToString()));
                    }

                    span = span[fields.Location.End..];
                }
            }

            return certificates.Count > 0
                ? new FulcioChain(certificates, sct)
                : throw new FulcioException("Fulcio answer holds no certificate");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FulcioException("Fulcio answer is not a signing certificate response: " + e.Message, null, e);
        }
    }

    /// <summary>Fulcio's errors are gRPC-gateway JSON, <c>{"code":N,"message":"…"}</c>; else the body itself.</summary>
    private static string ErrorMessage(HttpAnswer answer)
    {
        try
        {
            using var doc = JsonDocument.Parse(answer.Body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("message", out var m)
                && m.ValueKind == JsonValueKind.String)
            {
                return m.GetString() ?? "";
            }
        }
        catch (JsonException)
        {
        }

        return answer.Excerpt();
    }
}
