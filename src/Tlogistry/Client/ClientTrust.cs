using Tlogistry.Ledger;
using Tlogistry.Signing;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Client;

/// <summary>The trust flags of the client commands, as given.</summary>
/// <param name="TrustedRoot">A trusted_root.json path, or null.</param>
/// <param name="Keys">PEM public key files: key mode (the first is the current key).</param>
/// <param name="Identity">Keyless: the certificate identity (SAN e-mail or URI).</param>
/// <param name="Issuer">Keyless: the OIDC issuer.</param>
/// <param name="CaCert">A PEM file of certificate authorities trusted for HTTPS in addition to the system's, or null.</param>
internal sealed record TrustFlags(string? TrustedRoot, IReadOnlyList<string> Keys, string? Identity, string? Issuer, string? CaCert = null)
{
    public static TrustFlags None { get; } = new(null, [], null, null);

    /// <summary>True when the flags name the signer whose sightings count.</summary>
    public bool NamesSigner => Keys.Count > 0 || !string.IsNullOrEmpty(Identity) || !string.IsNullOrEmpty(Issuer);

    /// <summary>The HTTPS servers to believe: reads <see cref="CaCert"/>.</summary>
    public ServerCertificates LoadServerCertificates() => ServerCertificates.Load(CaCert);
}

/// <summary>
/// Whom a client command trusts, checked exactly as the service checks its own pins: the logs
/// of a trusted root, and a signer policy (keys, or a Fulcio identity and issuer) read through
/// the service's <see cref="SightingReader"/>. Built from flags, a data directory, or what a
/// proxy publishes; <see cref="Source"/> says which, since only flags are independent of the proxy.
/// </summary>
internal sealed class ClientTrust
{
    private ClientTrust(TrustedRoot root, SightingReader reader, IReadOnlyList<byte[]> keys, string source)
    {
        Root = root;
        Reader = reader;
        Keys = keys;
        Source = source;
    }

    public TrustedRoot Root { get; }

    public SightingReader Reader { get; }

    /// <summary>The keys whose sightings count; empty in keyless mode.</summary>
    public IReadOnlyList<byte[]> Keys { get; }

    /// <summary>Where the trust came from, for reports.</summary>
    public string Source { get; }

    /// <summary>Only what the flags say: the trusted root file (else the public-good root) and a signer that must be named.</summary>
    public static ClientTrust FromFlags(TrustFlags flags)
    {
        ArgumentNullException.ThrowIfNull(flags);
        if (!flags.NamesSigner)
        {
            throw new ClientException("name the signer whose sightings count: --key PEM (key mode) or --identity and --issuer (keyless)");
        }

        return Build(LoadRoot(flags) ?? TrustedRoot.PublicGood, flags, [], "the keys given on the command line");
    }

    /// <summary>The flags, else what the data directory holds: its instance key and embedded log.</summary>
    public static ClientTrust FromDataDir(TrustFlags flags, string dataDir)
    {
        ArgumentNullException.ThrowIfNull(flags);
        var root = LoadRoot(flags) ?? TrustedRoot.PublicGood;
        var logKey = Path.Combine(dataDir, "log", "log-key");
        if (File.Exists(logKey))
        {
            root = root.WithLogs([LogKey.Describe(LogKey.LoadOrCreate(logKey), "file://" + Path.GetDirectoryName(logKey))]);
        }

        if (flags.NamesSigner)
        {
            return Build(root, flags, [], "the keys given on the command line");
        }

        var signingKey = Path.Combine(dataDir, "signing-key.pem");
        if (!File.Exists(signingKey))
        {
            throw new ClientException($"{dataDir} holds no signing-key.pem; name the signer with --key PEM, or --identity and --issuer");
        }

        return Build(root, flags, [Read(File.ReadAllText(signingKey), signingKey)], $"the keys in {dataDir}");
    }

    /// <summary>
    /// The flags, else what the proxy publishes: its trusted root and every key it honours
    /// (current first). The certificate authorities and CT logs that vouch for a keyless
    /// identity are never the proxy's: without <c>--trusted-root</c> they are the public-good ones
    /// built in, since a proxy that named its own CA could vouch for any identity it liked.
    /// </summary>
    public static async Task<ClientTrust> FromProxyAsync(TrustFlags flags, ProxyClient proxy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(flags);
        ArgumentNullException.ThrowIfNull(proxy);
        var pinned = LoadRoot(flags);
        var root = pinned ?? (await proxy.TrustedRootAsync(cancellationToken)).WithAuthoritiesOf(TrustedRoot.PublicGood);
        if (flags.NamesSigner)
        {
            return Build(root, flags, [], pinned is null ? $"the signer given on the command line, the logs {proxy.BaseUrl} trusts and the public-good certificate authorities" : "the signer given on the command line");
        }

        // Every key it honours, so sightings signed before a rotation check as they do on the proxy.
        var keys = await proxy.KeysAsync(cancellationToken)
            ?? throw new ClientException($"{proxy.BaseUrl} signs keylessly; name its signer with --identity and --issuer");
        return Build(root, flags, [.. keys.Select(k => k.PublicKeyDer)], $"the keys {proxy.BaseUrl} publishes");
    }

    private static ClientTrust Build(TrustedRoot root, TrustFlags flags, IReadOnlyList<byte[]> defaultKeys, string source)
    {
        var keys = flags.Keys.Count > 0 ? [.. flags.Keys.Select(ReadKeyFile)] : defaultKeys;
        if (keys.Count > 0)
        {
            if (!string.IsNullOrEmpty(flags.Identity) || !string.IsNullOrEmpty(flags.Issuer))
            {
                throw new ClientException("--key (key mode) and --identity/--issuer (keyless) exclude each other");
            }

            var reader = new SightingReader(new BundleVerifier(root), new KeyPolicy(keys), SignerIdentity.ForKey(keys[0]), SignerMaterial.ForKey(keys[0]), TimeProvider.System, [.. keys.Select(SignerMaterial.ForKey)]);
            return new ClientTrust(root, reader, keys, source);
        }

        if (string.IsNullOrWhiteSpace(flags.Identity) || string.IsNullOrWhiteSpace(flags.Issuer))
        {
            throw new ClientException("keyless sightings are checked by --identity and --issuer together");
        }

        CertificateIdentity identity;
        try
        {
            identity = CertificateIdentity.Parse(flags.Identity);
        }
        catch (FormatException e)
        {
            throw new ClientException("--identity: " + e.Message, e);
        }

        var issuer = flags.Issuer.Trim();
        var keyless = new SightingReader(new BundleVerifier(root), new CertificatePolicy(root, identity, issuer), SignerIdentity.ForCertificate(identity, issuer), SignerMaterial.AnyKeyFor(identity), TimeProvider.System, [SignerMaterial.AnyKeyFor(identity)]);
        return new ClientTrust(root, keyless, [], source);
    }

    private static TrustedRoot? LoadRoot(TrustFlags flags)
    {
        if (string.IsNullOrEmpty(flags.TrustedRoot))
        {
            return null;
        }

        try
        {
            return TrustedRoot.Parse(File.ReadAllBytes(flags.TrustedRoot));
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            throw new ClientException($"--trusted-root {flags.TrustedRoot}: {e.Message}", e);
        }
    }

    private static byte[] ReadKeyFile(string path)
    {
        try
        {
            return Read(File.ReadAllText(path), "--key " + path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClientException($"--key {path}: {e.Message}", e);
        }
    }

    private static byte[] Read(string pem, string what)
    {
        try
        {
            return PublicKeyPem.Read(pem, what);
        }
        catch (FormatException e)
        {
            throw new ClientException(e.Message, e);
        }
    }
}
