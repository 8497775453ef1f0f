using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

using Tlogistry.Transparency;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Sigstore.Identity;
using Tlogistry.Telemetry;

namespace Tlogistry.Signing.Keyless;

/// <summary>Settings of <see cref="KeylessSigner"/>.</summary>
internal sealed class KeylessSignerOptions
{
    /// <summary>The audience an identity token must be for: Fulcio's public-good instance takes <c>sigstore</c>.</summary>
    public const string DefaultAudience = "sigstore";

    /// <summary>
    /// A certificate is replaced once less than this much of its validity remains. It must cover
    /// the longest append the log may take (<see cref="AppendBudget"/>), so that an entry signed
    /// under a certificate is integrated while that certificate is still valid.
    /// </summary>
    public TimeSpan RenewBefore { get; set; } = AppendBudget(new Http.JsonHttpOptions());

    /// <summary>How far this host's clock may lag Fulcio's: a certificate that starts up to this far ahead is used once it starts.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The <c>aud</c> an identity token must name before it is sent to Fulcio.</summary>
    public string Audience { get; set; } = DefaultAudience;

    /// <summary>
    /// The longest a log append can take with these HTTP settings: every attempt runs to its
    /// timeout and every retry waits the longest Retry-After honoured, and an append answered
    /// "already logged" costs a second such exchange to fetch the entry.
    /// </summary>
    public static TimeSpan AppendBudget(Http.JsonHttpOptions log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var attempts = Math.Max(1, log.MaxAttempts);
        var exchange = (log.RequestTimeout * attempts) + (TimeSpan.FromTicks(Math.Max(log.MaxRetryAfter.Ticks, log.RetryDelay.Ticks << Math.Min(attempts, 16))) * (attempts - 1));
        return exchange * 2;
    }
}

/// <summary>
/// Keyless signing: one ephemeral ECDSA P-256 key per process, bound to the instance's OIDC
/// identity by a short-lived Fulcio certificate. The certificate is fetched on first use and
/// renewed when less than <see cref="KeylessSignerOptions.RenewBefore"/> of it remains; every
/// signature is made with a certificate whose validity covers the signing time with that margin
/// to spare. Concurrent callers that find no usable certificate share one request to Fulcio.
/// A token is sent only while unexpired and for the configured audience, and a certificate is
/// used only when the instance's own policy would accept it (identity, issuer, shape, chain,
/// SCT): a sighting is never logged under a certificate whose read-back is bound to fail.
/// </summary>
internal sealed partial class KeylessSigner : IEnvelopeSigner, IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly FulcioClient _fulcio;
    private readonly IIdentityTokenSource _tokens;
    private readonly TimeProvider _time;
    private readonly TimeSpan _renewBefore;
    private readonly TimeSpan _maxSkew;
    private readonly string _audience;
    private readonly CertificatePolicy? _policy;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _renewal = new(1, 1);
    private volatile Issued? _current;
    private string? _identity;

    /// <param name="policy">The policy sightings are read back with; null checks nothing beyond the key (tests of the signer alone).</param>
    public KeylessSigner(FulcioClient fulcio, IIdentityTokenSource tokens, TimeProvider time, KeylessSignerOptions options, ILogger<KeylessSigner> logger, CertificatePolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RenewBefore, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxClockSkew, TimeSpan.Zero);
        _fulcio = fulcio;
        _tokens = tokens;
        _time = time;
        _renewBefore = options.RenewBefore;
        _maxSkew = options.MaxClockSkew;
        _audience = options.Audience;
        _policy = policy;
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
        // Fulcio does not backdate: with this clock behind, wait for the certificate to start, so
        // that a log using this clock never integrates the entry before the certificate's window.
        // A timer may fire a little before the wall clock gets there: wait again for the rest.
        for (var early = issued.NotBefore - _time.GetUtcNow(); early > TimeSpan.Zero; early = issued.NotBefore - _time.GetUtcNow())
        {
            await Task.Delay(early, _time, cancellationToken);
        }

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
                throw new FulcioException($"Fulcio issued a certificate valid {issued.NotBefore:O} to {issued.NotAfter:O}, not usable at {now:O} with {issued.Margin} to spare for the log append (clock skew beyond {_maxSkew}, or certificates shorter than twice that margin?)");
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
        CheckToken(token);
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
            throw new FulcioException("Fulcio certificate unreadable: " + e.Message, null, e) { CertificateRefused = true };
        }

        try
        {
            _policy?.CheckIssued(chain.Certificates[0], chain.DetachedSct);
        }
        catch (Transparency.Sigstore.LogVerificationException e)
        {
            throw new FulcioException("Fulcio issued a certificate this instance does not trust: " + e.Message, null, e) { CertificateRefused = true };
        }

        // A certificate shorter-lived than twice the margin would be renewed at every signature; keep half of it instead.
        var margin = TimeSpan.FromTicks(Math.Min(_renewBefore.Ticks, (read.NotAfter - read.NotBefore).Ticks / 2));
        return new Issued(identity, read, new SignerMaterial(leafKey, WithoutRoot(chain.Certificates)), read.NotBefore, read.NotAfter, margin, _maxSkew);
    }

    /// <summary>
    /// A token goes to Fulcio only while it is unexpired and for the configured audience: an
    /// expired one would be refused anyway (a source such as <c>env=</c> cannot refresh it), and
    /// one for another audience was meant for another service.
    /// </summary>
    private void CheckToken(string token)
    {
        JwtClaims claims;
        try
        {
            claims = JwtClaims.Parse(token);
        }
        catch (FormatException e)
        {
            throw new IdentityTokenException("the identity token is unreadable: " + e.Message, e);
        }

        if (claims.Expires is { } expires && expires <= _time.GetUtcNow())
        {
            throw new IdentityTokenException($"the identity token expired at {expires:O}; a source that cannot refresh it (env=) needs a fresh token and a restart, or use file=, gcp or github-actions");
        }

        if (!claims.Audiences.Contains(_audience, StringComparer.Ordinal))
        {
            var named = claims.Audiences.Count == 0 ? "no audience" : "audience " + string.Join(", ", claims.Audiences);
            throw new IdentityTokenException($"the identity token is for {named}, not {_audience}; it is not sent to Fulcio");
        }
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

    private sealed record Issued(string Identity, FulcioCertificate Leaf, SignerMaterial Material, DateTimeOffset NotBefore, DateTimeOffset NotAfter, TimeSpan Margin, TimeSpan MaxSkew)
    {
        public bool UsableAt(DateTimeOffset now) => NotBefore - MaxSkew <= now && now <= NotAfter - Margin;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Signing.CertificateIssued, Level = LogLevel.Information, Message = "Fulcio certificate for {Identity} issued, valid {NotBefore:O} to {NotAfter:O}")]
        public static partial void CertificateIssued(ILogger logger, string identity, DateTimeOffset notBefore, DateTimeOffset notAfter);
    }
}
