using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

using Tlogistry.Signing.Identity;

namespace Tlogistry.Signing.Keyless;

/// <summary>Settings of <see cref="KeylessSigner"/>.</summary>
internal sealed class KeylessSignerOptions
{
    /// <summary>A certificate is replaced once less than this much of its validity remains.</summary>
    public TimeSpan RenewBefore { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// Keyless signing: one ephemeral ECDSA P-256 key per process, bound to the instance's OIDC
/// identity by a short-lived Fulcio certificate. The certificate is fetched on first use and
/// renewed when less than <see cref="KeylessSignerOptions.RenewBefore"/> of it remains; every
/// signature is made with a certificate whose validity covers the signing time with that margin
/// to spare. Concurrent callers that find no usable certificate share one request to Fulcio.
/// </summary>
internal sealed partial class KeylessSigner : IEnvelopeSigner, IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly FulcioClient _fulcio;
    private readonly IIdentityTokenSource _tokens;
    private readonly TimeProvider _time;
    private readonly TimeSpan _renewBefore;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _renewal = new(1, 1);
    private volatile Issued? _current;
    private string? _identity;

    public KeylessSigner(FulcioClient fulcio, IIdentityTokenSource tokens, TimeProvider time, KeylessSignerOptions options, ILogger<KeylessSigner> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RenewBefore, TimeSpan.Zero);
        _fulcio = fulcio;
        _tokens = tokens;
        _time = time;
        _renewBefore = options.RenewBefore;
        _logger = logger;
        PublicKeyDer = _key.ExportSubjectPublicKeyInfo();
    }

    /// <summary>The ephemeral key's DER SubjectPublicKeyInfo.</summary>
    public byte[] PublicKeyDer { get; }

    /// <summary>
    /// <see cref="SignerIdentity.Of"/> the certificate:
    /// <c>email:ADDRESS;issuer=ISSUER</c> or <c>uri:URI;issuer=ISSUER</c>. Known once the first
    /// certificate is issued (<see cref="EnsureCertificateAsync"/>); a renewal that would change
    /// it is refused, so it is stable for the life of the signer.
    /// </summary>
    /// <exception cref="InvalidOperationException">No certificate has been issued yet.</exception>
    public string Identity => _identity ?? throw new InvalidOperationException("keyless identity is known only after the first certificate is issued");

    /// <summary>The current certificate, or null before the first one.</summary>
    public FulcioCertificate? Certificate => _current?.Leaf;

    /// <summary>Gets a certificate now if there is no usable one, so that start-up fails early.</summary>
    public async Task EnsureCertificateAsync(CancellationToken cancellationToken) => _ = await CurrentAsync(cancellationToken);

    public async Task<SignedEnvelope> SignAsync(string payloadType, byte[] payload, CancellationToken cancellationToken)
    {
        var issued = await CurrentAsync(cancellationToken);
        var signature = _key.SignData(Dsse.Pae(payloadType, payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var envelope = new DsseEnvelope(payloadType, payload, [new DsseSignature("", signature)]);
        return new SignedEnvelope(envelope, issued.Material);
    }

    public void Dispose()
    {
        _key.Dispose();
        _renewal.Dispose();
    }

    /// <summary>
    /// A certificate usable now. The fast path reads one immutable snapshot; only callers that
    /// find it unusable take the renewal lock, and the first of them renews for all.
    /// </summary>
    private async Task<Issued> CurrentAsync(CancellationToken cancellationToken)
    {
        if (_current is { } fast && fast.UsableAt(_time.GetUtcNow()))
        {
            return fast;
        }

        await _renewal.WaitAsync(cancellationToken);
        try
        {
            var now = _time.GetUtcNow();
            if (_current is { } settled && settled.UsableAt(now))
            {
                return settled;
            }

            var issued = await RequestAsync(cancellationToken);
            now = _time.GetUtcNow();
            if (!issued.UsableAt(now))
            {
                throw new FulcioException($"Fulcio issued a certificate valid {issued.NotBefore:O} to {issued.NotAfter:O}, not usable at {now:O} (clock skew?)");
            }

            var identity = issued.Identity;
            if (_identity is not null && _identity != identity)
            {
                throw new FulcioException($"Fulcio certificate names {identity}, but this signer signs as {_identity}; the token source changed identity");
            }

            _identity = identity;
            _current = issued;
            Log.CertificateIssued(_logger, identity, issued.NotBefore, issued.NotAfter);
            return issued;
        }
        finally
        {
            _renewal.Release();
        }
    }

    private async Task<Issued> RequestAsync(CancellationToken cancellationToken)
    {
        var token = await _tokens.GetTokenAsync(cancellationToken);
        var chain = await _fulcio.RequestCertificateAsync(token, _key, cancellationToken);
        using var leaf = X509CertificateLoader.LoadCertificate(chain.Certificates[0]);
        var leafKey = leaf.PublicKey.ExportSubjectPublicKeyInfo();
        if (!leafKey.AsSpan().SequenceEqual(PublicKeyDer))
        {
            throw new FulcioException("Fulcio certificate is for another public key than the one requested");
        }

        FulcioCertificate read;
        string identity;
        try
        {
            read = FulcioCertificate.Read(chain.Certificates[0]);
            identity = SignerIdentity.Of(read);
        }
        catch (FormatException e)
        {
            throw new FulcioException("Fulcio certificate unreadable: " + e.Message, null, e);
        }

        var notBefore = new DateTimeOffset(leaf.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());

        // A certificate shorter-lived than the margin would be renewed at every signature; keep a third of it instead.
        var margin = TimeSpan.FromTicks(Math.Min(_renewBefore.Ticks, (notAfter - notBefore).Ticks / 3));
        return new Issued(identity, read, new SignerMaterial(leafKey, WithoutRoot(chain.Certificates)), notBefore, notAfter, margin);
    }

    /// <summary>Leaf and intermediates: a verifier takes the root from its trusted root, never from the signer.</summary>
    private static List<byte[]> WithoutRoot(IReadOnlyList<byte[]> chain)
    {
        var kept = new List<byte[]>(chain);
        while (kept.Count > 1)
        {
            using var last = X509CertificateLoader.LoadCertificate(kept[^1]);
            if (!last.SubjectName.RawData.AsSpan().SequenceEqual(last.IssuerName.RawData))
            {
                break;
            }

            kept.RemoveAt(kept.Count - 1);
        }

        return kept;
    }

    private sealed record Issued(string Identity, FulcioCertificate Leaf, SignerMaterial Material, DateTimeOffset NotBefore, DateTimeOffset NotAfter, TimeSpan Margin)
    {
        public bool UsableAt(DateTimeOffset now) => NotBefore <= now && now <= NotAfter - Margin;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "Fulcio certificate for {Identity} issued, valid {NotBefore:O} to {NotAfter:O}")]
        public static partial void CertificateIssued(ILogger logger, string identity, DateTimeOffset notBefore, DateTimeOffset notAfter);
    }
}
