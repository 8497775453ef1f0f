using Microsoft.AspNetCore.Http;
using Tlogistry.Oci;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Registry.Tlog;

/// <summary>
/// What a verifier needs to check this instance's bundles, published so it can be fetched
/// once, compared out of band (the key's fingerprint is the <c>instance</c> of every sighting)
/// and then pinned: <c>GET /tlog/trusted_root.json</c>, the logs this instance trusts with its
/// embedded log named at the URL the request came to followed by the log's origin (where its
/// tiles are also served, and the name its checkpoints are signed as, which Sigstore clients
/// match against the baseUrl), and
/// <c>GET /tlog/keys</c>, every key whose sightings count (the signing key, role
/// <c>current</c>, and each <c>--trusted-key</c>, role <c>previous</c>), each also at
/// <c>GET /tlog/keys/KEYID.pem</c>; and <c>GET /tlog/key.pem</c>, the current key alone, for
/// older clients. In keyless mode these answer 404: sightings are checked by identity and issuer.
/// </summary>
internal sealed class TrustApi
{
    public const string TrustedRootPath = "/tlog/trusted_root.json";
    public const string KeyPath = "/tlog/key.pem";
    public const string KeysPath = "/tlog/keys";
    private readonly TrustedRoot _root;
    private readonly TrustedLog? _embedded;
    private readonly IReadOnlyList<PublishedKey> _keys;
    private readonly string _identity;
    private readonly PublishedLog? _log;
    private readonly string _embeddedPath;

    /// <param name="embedded">The embedded log in the data directory, when there is one.</param>
    /// <param name="keys">Key mode: the signing key first, then the keys trusted from before a rotation; empty in keyless mode.</param>
    /// <param name="log">The log sightings are recorded in, for <c>GET /tlog/log</c>.</param>
    /// <param name="embeddedPath">Where on this server the embedded log's tiles are also served under its origin; its published baseUrl.</param>
    public TrustApi(TrustedRoot root, TrustedLog? embedded, IReadOnlyList<byte[]> keys, string identity, PublishedLog? log = null, string embeddedPath = "")
    {
        _embeddedPath = embeddedPath;
        _root = root;
        _embedded = embedded;
        _keys = [.. keys.DistinctBy(Convert.ToHexString).Select((k, i) => new PublishedKey(k, i == 0 ? KeyRole.Current : KeyRole.Previous))];
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

    /// <summary>Every key whose sightings count, the current one first; empty in keyless mode.</summary>
    public IReadOnlyList<PublishedKey> Keys => _keys;

    public Task TrustedRootAsync(HttpContext context)
    {
        var here = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
        var logs = _root.Logs.Select(l => _embedded is not null && l.LogId.AsSpan().SequenceEqual(_embedded.LogId) ? l with { BaseUrl = here + _embeddedPath } : l);
        context.Response.ContentType = "application/json";
        return context.Response.Body.WriteAsync(new TrustedRoot(logs, _root.CertificateAuthorities, _root.CtLogs, _root.TimestampAuthorities).Write(), context.RequestAborted).AsTask();
    }

    public Task KeyAsync(HttpContext context) =>
        _keys.Count == 0 ? KeylessAsync(context) : PemAsync(context, _keys[0]);

    public Task KeysAsync(HttpContext context)
    {
        if (_keys.Count == 0)
        {
            return KeylessAsync(context);
        }

        context.Response.ContentType = "application/json";
        return context.Response.Body.WriteAsync(PublishedKeys.Write(_keys), context.RequestAborted).AsTask();
    }

    /// <summary><c>GET /tlog/keys/{keyId}.pem</c>: one listed key.</summary>
    public Task KeyByIdAsync(HttpContext context, string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var key = file.EndsWith(".pem", StringComparison.Ordinal) ? _keys.FirstOrDefault(k => k.KeyId == file[..^4]) : null;
        return key is null
            ? OciResponses.WriteErrorAsync(context, 404, new OciError(OciErrorCodes.NameUnknown, $"no such key is trusted here; {KeysPath} lists them"), RequestOutcome.NotFound, context.RequestAborted)
            : PemAsync(context, key);
    }

    private static Task PemAsync(HttpContext context, PublishedKey key)
    {
        context.Response.ContentType = "application/x-pem-file";
        return context.Response.WriteAsync(key.Pem, context.RequestAborted);
    }

    private Task KeylessAsync(HttpContext context) =>
        OciResponses.WriteErrorAsync(context, 404, new OciError(OciErrorCodes.NameUnknown, $"this instance signs keylessly as {_identity}; verify its sightings with --identity and --issuer"), RequestOutcome.NotFound, context.RequestAborted);
}
