using System.CommandLine;

namespace Tlogistry.Commands;

/// <summary>
/// The flags that say which data a service or store command opens: the directory, the log,
/// the store and whose sightings count. <c>serve</c>, <c>index rebuild</c> and
/// <c>index accept-log</c> each make their own set.
/// </summary>
internal sealed class StoreOptions
{
    public Option<string?> DataDir { get; } = new("--data-dir") { Description = "Directory for keys, the index and the embedded log (default $XDG_DATA_HOME/tlogistry or ~/.local/share/tlogistry)." };

    public Option<string?> Log { get; } = new("--log") { Description = "Where sightings are logged: embedded (default), rekor-v1=URL (e.g. https://rekor.sigstore.dev) or rekor-v2=URL." };

    public Option<string?> TrustedRoot { get; } = new("--trusted-root") { Description = "Sigstore trusted_root.json with the log keys to trust (default: the public-good root built in)." };

    public Option<string?> Store { get; } = new("--store") { Description = "Where sightings are stored: sqlite (default: index.db in the data directory) or postgres=CONNECTION STRING (Npgsql, e.g. postgres=Host=db;Database=tlogistry;Username=tlogistry; shared by replicas)." };

    public Option<string?> Signer { get; } = new("--signer") { Description = "How sightings are signed: key (default: signing-key.pem in the data directory) or fulcio=URL (keyless, e.g. https://fulcio.sigstore.dev)." };

    public Option<string?> TokenSource { get; } = new("--token-source") { Description = "Keyless: the OIDC token: gcp, file=PATH (e.g. a Kubernetes projected token), github-actions or env=NAME." };

    public Option<string?> Identity { get; } = new("--identity") { Description = "Keyless: the certificate identity (SAN e-mail or URI) whose sightings count." };

    public Option<string?> Issuer { get; } = new("--issuer") { Description = "Keyless: the OIDC issuer the certificate must name." };

    public Option<string[]> TrustedKey { get; } = new("--trusted-key") { Description = "Key mode: a PEM public key whose sightings also count (an earlier key after a rotation). Repeatable.", Arity = ArgumentArity.ZeroOrMore };

    /// <summary>Not on <c>accept-log</c>: <see cref="WriteLegacy"/> reads these.</summary>
    public Option<string?> LegacyLog { get; } = new("--legacy-log") { Description = "The log ID (hex) whose unsigned Go tlogistry (intoto 0.0.1) entries count, for tags already stored or imported; needs --legacy-key. Default: none count." };

    public Option<string?> LegacyKey { get; } = new("--legacy-key") { Description = "The PEM public key those legacy entries must name; needs --legacy-log." };

    /// <summary>The directory, the log, the store and the signer, as configuration overrides.</summary>
    public void Write(SettingOverrides overrides, ParseResult parse)
    {
        overrides.Set("DataDir", parse.GetValue(DataDir));
        overrides.Set("Log", parse.GetValue(Log));
        overrides.Set("TrustedRoot", parse.GetValue(TrustedRoot));
        overrides.Set("Store", parse.GetValue(Store));
        overrides.Set("Signer", parse.GetValue(Signer));
        overrides.Set("TokenSource", parse.GetValue(TokenSource));
        overrides.Set("Identity", parse.GetValue(Identity));
        overrides.Set("Issuer", parse.GetValue(Issuer));
        overrides.SetList("TrustedKeys", parse.GetValue(TrustedKey));
    }

    /// <summary>The legacy log and key whose unsigned entries an operator chose to honour.</summary>
    public void WriteLegacy(SettingOverrides overrides, ParseResult parse)
    {
        overrides.Set("LegacyLog", parse.GetValue(LegacyLog));
        overrides.Set("LegacyKey", parse.GetValue(LegacyKey));
    }
}
