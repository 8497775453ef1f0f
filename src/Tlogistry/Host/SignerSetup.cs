using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tlogistry.Ledger;
using Tlogistry.Signing;
using Tlogistry.Signing.Keyless;
using Tlogistry.Signing.Timestamps;
using Tlogistry.Telemetry;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Host;

/// <summary>
/// Registers how sightings are signed and whose sightings count: key mode (the key file in
/// the data directory, plus <c>--trusted-key</c> keys from before a rotation) or keyless mode
/// (Fulcio certificates for <c>--identity</c> from <c>--issuer</c>, chained to the trusted root).
/// </summary>
internal static partial class SignerSetup
{
    public const string KeyFile = "signing-key.pem";

    /// <param name="sharedStore">Replicas share the store (postgres): they must sign as one identity, so none makes a key of its own.</param>
    public static void Add(IServiceCollection services, TlogistryOptions options, LogChoice log, Http.JsonHttpOptions logHttp, string dataDir, bool sharedStore)
    {
        var signer = (options.Signer ?? "key").Trim();
        if (signer.Length == 0 || signer.Equals("key", StringComparison.OrdinalIgnoreCase))
        {
            AddKeyMode(services, options, dataDir, sharedStore);
            return;
        }

        if (!signer.StartsWith("fulcio=", StringComparison.OrdinalIgnoreCase)
            || !Uri.TryCreate(signer["fulcio=".Length..], UriKind.Absolute, out var fulcio)
            || (fulcio.Scheme != Uri.UriSchemeHttps && fulcio.Scheme != Uri.UriSchemeHttp))
        {
            throw new FormatException($"--signer must be key or fulcio=URL (e.g. fulcio=https://fulcio.sigstore.dev), got \"{signer}\"");
        }

        if (fulcio.Scheme == Uri.UriSchemeHttp && !fulcio.IsLoopback)
        {
            // The request carries the OIDC identity token: anyone on the path could get certificates as us.
            throw new FormatException($"--signer {signer} would send the OIDC identity token in clear text; use https (plain http is accepted on loopback only)");
        }

        if (string.IsNullOrWhiteSpace(options.Identity) || string.IsNullOrWhiteSpace(options.Issuer) || string.IsNullOrWhiteSpace(options.TokenSource))
        {
            throw new FormatException("keyless signing needs --token-source, --identity and --issuer: the identity and issuer say whose sightings count");
        }

        if (log.Kind == LogKind.RekorV2 && options.TimestampAuthorities.Count == 0)
        {
            // A v2 entry carries no log time, and a certificate's validity is judged at a verified time.
            throw new FormatException("keyless signing on rekor-v2 needs --timestamp-authority: a v2 entry carries no log time, so an RFC 3161 timestamp must date each signature (or use the embedded log or rekor-v1)");
        }

        var tokens = TokenSourceSetting.Parse(options.TokenSource);
        var san = CertificateIdentity.Parse(options.Identity);
        var issuer = options.Issuer.Trim();
        var identity = SignerIdentity.ForCertificate(san, issuer);
        var signerOptions = new KeylessSignerOptions
        {
            RenewBefore = KeylessSignerOptions.AppendBudget(logHttp),
            Audience = string.IsNullOrWhiteSpace(options.TokenAudience) ? KeylessSignerOptions.DefaultAudience : options.TokenAudience.Trim(),
        };
        services.AddSingleton(sp => options.UnsafeNoSct
            ? CertificatePolicy.WithoutSctUnsafe(sp.GetRequiredService<TrustedRoot>(), san, issuer)
            : new CertificatePolicy(sp.GetRequiredService<TrustedRoot>(), san, issuer));
        services.AddSingleton(sp =>
        {
            var http = Http.JsonHttp.CreateClient();
            var logger = sp.GetRequiredService<ILogger<KeylessSigner>>();
            if (options.UnsafeNoSct)
            {
                Log.NoSct(logger);
            }

            return new KeylessSigner(
                new FulcioClient(fulcio, http, logger: sp.GetRequiredService<ILogger<FulcioClient>>()),
                tokens.Create(http, logger),
                sp.GetRequiredService<TimeProvider>(),
                signerOptions,
                logger,
                sp.GetRequiredService<CertificatePolicy>());
        });
        services.AddSingleton(sp => Timestamped(sp, options, sp.GetRequiredService<KeylessSigner>()));
        services.AddSingleton(_ => StampKey.LoadOrCreate(Path.Combine(dataDir, StampKey.FileName)));
        services.AddSingleton<ISignerPolicy>(sp => sp.GetRequiredService<CertificatePolicy>());
        services.AddSingleton(sp => new SightingReader(
            new BundleVerifier(sp.GetRequiredService<TrustedRoot>(), sp.GetService<LegacyTrustUnsafe>()),
            sp.GetRequiredService<ISignerPolicy>(),
            identity,
            SignerMaterial.ForKey(sp.GetRequiredService<KeylessSigner>().PublicKeyDer),
            sp.GetRequiredService<TimeProvider>(),
            [SignerMaterial.AnyKeyFor(san)]));
    }

    /// <summary>The signer, with every <c>--timestamp-authority</c> dating its signatures; the trusted root must name them.</summary>
    private static IEnvelopeSigner Timestamped(IServiceProvider sp, TlogistryOptions options, IEnvelopeSigner signer)
    {
        if (options.TimestampAuthorities.Count == 0)
        {
            return signer;
        }

        var root = sp.GetRequiredService<TrustedRoot>();
        if (root.TimestampAuthorities.Count == 0)
        {
            throw new FormatException("--timestamp-authority is set, but the trusted root names no timestamp authorities: give --trusted-root a root that lists the authority's certificate chain");
        }

        var http = Http.JsonHttp.CreateClient();
        var clients = options.TimestampAuthorities.Select(text =>
            Uri.TryCreate(text?.Trim(), UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
                ? new TimestampClient(url, http)
                : throw new FormatException($"--timestamp-authority must be an http(s) URL such as https://timestamp.sigstore.dev/api/v1/timestamp, got \"{text}\""));
        return new TimestampingSigner(signer, [.. clients], root);
    }

    private static void AddKeyMode(IServiceCollection services, TlogistryOptions options, string dataDir, bool sharedStore)
    {
        var trusted = options.TrustedKeys.Select(path => ReadPublicKey(path, "--trusted-key")).ToList();
        var keyFile = Path.Combine(dataDir, KeyFile);
        if (sharedStore && !File.Exists(keyFile))
        {
            // A replica that made its own key would pin tags the others refuse (503) while all look ready.
            throw new FormatException(
                $"--store postgres is shared by replicas, which must sign as one identity, but {keyFile} does not exist and a replica never makes its own key: " +
                $"copy {KeyFile} from the replica or secret store that holds it into --data-dir, or sign keylessly with --signer fulcio=URL --identity --issuer");
        }

        services.AddSingleton(_ => InstanceKey.LoadOrCreate(keyFile));
        services.AddSingleton(sp => Timestamped(sp, options, sp.GetRequiredService<InstanceKey>()));
        services.AddSingleton(sp => StampKey.From(sp.GetRequiredService<InstanceKey>()));
        services.AddSingleton<ISignerPolicy>(sp => new KeyPolicy([sp.GetRequiredService<InstanceKey>().PublicKeyDer, .. trusted]));
        services.AddSingleton(sp =>
        {
            var key = sp.GetRequiredService<InstanceKey>();
            return new SightingReader(
                new BundleVerifier(sp.GetRequiredService<TrustedRoot>(), sp.GetService<LegacyTrustUnsafe>()),
                sp.GetRequiredService<ISignerPolicy>(),
                key.Identity,
                SignerMaterial.ForKey(key.PublicKeyDer),
                sp.GetRequiredService<TimeProvider>(),
                [SignerMaterial.ForKey(key.PublicKeyDer), .. trusted.Select(SignerMaterial.ForKey)]);
        });
    }

    /// <summary>A PEM ECDSA public key file as DER; <paramref name="flag"/> names it in errors.</summary>
    private static byte[] ReadPublicKey(string path, string flag) => PublicKeyPem.Read(File.ReadAllText(path), $"{flag} {path}");

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Signing.NoSct, Level = LogLevel.Warning, Message = "--unsafe-no-sct: Fulcio certificates are trusted without a signed certificate timestamp; a mis-issued certificate for this identity would go unseen")]
        public static partial void NoSct(ILogger logger);
    }
}
