using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Tlogistry.Oci;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Registry;

/// <summary>
/// What a verifier needs to check this instance's bundles, published so it can be fetched
/// once, compared out of band (the key's fingerprint is the <c>instance</c> of every sighting)
/// and then pinned: <c>GET /tlog/trusted_root.json</c>, the logs this instance trusts with its
/// embedded log named at the URL the request came to (where its tiles are served), and
/// <c>GET /tlog/key.pem</c>, the instance's public key (404 in keyless mode, whose sightings
/// are checked by identity and issuer instead).
/// </summary>
internal sealed class TrustApi
{
    public const string TrustedRootPath = "/tlog/trusted_root.json";
    public const string KeyPath = "/tlog/key.pem";
    private readonly TrustedRoot _root;
    private readonly TrustedLog? _embedded;
    private readonly byte[]? _publicKeyDer;
    private readonly string _identity;
    private readonly PublishedLog? _log;

    /// <param name="embedded">The embedded log in the data directory, when there is one.</param>
    /// <param name="publicKeyDer">The instance key in key mode; null in keyless mode.</param>
    /// <param name="log">The log sightings are recorded in, for <c>GET /tlog/log</c>.</param>
    public TrustApi(TrustedRoot root, TrustedLog? embedded, byte[]? publicKeyDer, string identity, PublishedLog? log = null)
    {
        _root = root;
        _embedded = embedded;
        _publicKeyDer = publicKeyDer;
        _identity = identity;
        _log = log;
    }

    /// <summary><c>GET /tlog/log</c>: which log (kind and ID) sightings are recorded in, so a monitor reads that one.</summary>
    public Task LogAsync(HttpContext context)
    {
        if (_log is null)
        {
            return OciResponses.WriteErrorAsync(context, 404, new OciError(OciErrorCodes.NameUnknown, "no log is published"), RequestOutcome.NotFound, context.RequestAborted);
        }

        context.Response.ContentType = "application/json";
        return context.Response.Body.WriteAsync(_log.Write(), context.RequestAborted).AsTask();
    }

    public Task TrustedRootAsync(HttpContext context)
    {
        var here = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
        var logs = _root.Logs.Select(l => _embedded is not null && l.LogId.AsSpan().SequenceEqual(_embedded.LogId) ? l with { BaseUrl = here } : l);
        context.Response.ContentType = "application/json";
        return context.Response.Body.WriteAsync(new TrustedRoot(logs, _root.CertificateAuthorities).Write(), context.RequestAborted).AsTask();
    }

    public Task KeyAsync(HttpContext context)
    {
        if (_publicKeyDer is null)
        {
            return OciResponses.WriteErrorAsync(context, 404, new OciError(OciErrorCodes.NameUnknown, $"this instance signs keylessly as {_identity}; verify its sightings with --identity and --issuer"), RequestOutcome.NotFound, context.RequestAborted);
        }

        context.Response.ContentType = "application/x-pem-file";
        return context.Response.WriteAsync(PemEncoding.WriteString("PUBLIC KEY", _publicKeyDer) + "\n", context.RequestAborted);
    }
}
