using System.Globalization;
using System.Text.Json;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// The logs, certificate authorities and certificate transparency logs a verifier trusts, in
/// the Sigstore trusted_root.json form. The public-good root ships inside the program; a deployment adds its own logs (the
/// embedded log, a self-hosted one) with <see cref="WithLogs"/>.
/// </summary>
internal sealed class TrustedRoot
{
    public const string MediaType = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

    private const string ResourceName = "trusted_root.json";

    private static readonly Lazy<TrustedRoot> PublicGoodRoot = new(LoadPublicGood);

    public TrustedRoot(
        IEnumerable<TrustedLog> logs,
        IEnumerable<CertificateAuthority> certificateAuthorities,
        IEnumerable<TrustedLog>? ctLogs = null,
        IEnumerable<CertificateAuthority>? timestampAuthorities = null)
    {
        ArgumentNullException.ThrowIfNull(logs);
        ArgumentNullException.ThrowIfNull(certificateAuthorities);
        Logs = [.. logs];
        CertificateAuthorities = [.. certificateAuthorities];
        CtLogs = [.. ctLogs ?? []];
        TimestampAuthorities = [.. timestampAuthorities ?? []];
    }

    /// <summary>The Sigstore public-good root (rekor.sigstore.dev, log2025-1, Fulcio) as shipped with this build.</summary>
    public static TrustedRoot PublicGood => PublicGoodRoot.Value;

    public IReadOnlyList<TrustedLog> Logs { get; }

    public IReadOnlyList<CertificateAuthority> CertificateAuthorities { get; }

    /// <summary>The certificate transparency logs whose SCTs prove a Fulcio certificate was logged.</summary>
    public IReadOnlyList<TrustedLog> CtLogs { get; }

    /// <summary>The RFC 3161 timestamp authorities whose tokens date a signature where the log does not.</summary>
    public IReadOnlyList<CertificateAuthority> TimestampAuthorities { get; }

    /// <summary>The trusted log with this ID, or null.</summary>
    public TrustedLog? FindLog(ReadOnlySpan<byte> logId)
    {
        foreach (var log in Logs)
        {
            if (logId.SequenceEqual(log.LogId))
            {
                return log;
            }
        }

        return null;
    }

    /// <summary>
    /// The trusted tiles log that signs checkpoints for <paramref name="origin"/>: an Ed25519 log
    /// whose log ID is its signed-note key hash under that origin. Null when none is trusted.
    /// </summary>
    public TrustedLog? FindByOrigin(string origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        foreach (var log in Logs)
        {
            if (PublicKeySignature.Ed25519RawKey(log.PublicKeyDer) is { } raw && LogIds.ForEd25519NoteKey(origin, raw).AsSpan().SequenceEqual(log.LogId))
            {
                return log;
            }
        }

        return null;
    }

    /// <summary>This root plus more logs; the certificate authorities and CT logs are kept.</summary>
    public TrustedRoot WithLogs(IEnumerable<TrustedLog> logs) => new([.. Logs, .. logs], CertificateAuthorities, CtLogs, TimestampAuthorities);

    /// <summary>This root plus more timestamp authorities.</summary>
    public TrustedRoot WithTimestampAuthorities(IEnumerable<CertificateAuthority> authorities) =>
        new(Logs, CertificateAuthorities, CtLogs, [.. TimestampAuthorities, .. authorities]);

    /// <summary>This root's logs with the certificate, CT log and timestamp authorities of <paramref name="other"/> only.</summary>
    public TrustedRoot WithAuthoritiesOf(TrustedRoot other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(Logs, other.CertificateAuthorities, other.CtLogs, other.TimestampAuthorities);
    }

    /// <summary>Reads a trusted_root.json; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static TrustedRoot Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return ProtoJson.Parse(json, "trusted root", root =>
            {
                var mediaType = root.String("mediaType");
                if (mediaType != MediaType)
                {
                    throw new FormatException($"trusted root has mediaType '{mediaType}'; expected {MediaType}");
                }

                return new TrustedRoot(
                    root.Messages("tlogs").Select(ReadLog),
                    root.Messages("certificateAuthorities").Select(ReadAuthority),
                    root.Messages("ctlogs").Select(ReadLog),
                    root.Messages("timestampAuthorities").Select(ReadAuthority));
            });
        }
        catch (FormatException e) when (!e.Message.StartsWith("trusted root", StringComparison.Ordinal))
        {
            throw new FormatException("malformed trusted root: " + e.Message, e);
        }
    }

    /// <summary>This root in trusted_root.json form (logs, certificate authorities and CT logs).</summary>
    public byte[] Write() => Write(Logs, CertificateAuthorities, CtLogs, TimestampAuthorities);

    /// <summary>A trusted_root.json naming only these logs (and timestamp authorities), as a self-hosted log publishes about itself.</summary>
    public static byte[] Write(IEnumerable<TrustedLog> logs, IEnumerable<CertificateAuthority>? timestampAuthorities = null) =>
        Write(logs, [], [], timestampAuthorities ?? []);

    private static byte[] Write(IEnumerable<TrustedLog> logs, IEnumerable<CertificateAuthority> authorities, IEnumerable<TrustedLog> ctLogs, IEnumerable<CertificateAuthority> timestampAuthorities)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("mediaType", MediaType);
            WriteLogs(w, "tlogs", logs);
            WriteAuthorities(w, "certificateAuthorities", authorities);
            WriteLogs(w, "ctlogs", ctLogs);
            WriteAuthorities(w, "timestampAuthorities", timestampAuthorities);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteAuthorities(Utf8JsonWriter w, string name, IEnumerable<CertificateAuthority> authorities)
    {
        w.WriteStartArray(name);
        foreach (var ca in authorities)
        {
            w.WriteStartObject();
            w.WriteStartObject("subject");
            w.WriteString("organization", ca.Organization);
            w.WriteString("commonName", ca.CommonName);
            w.WriteEndObject();
            w.WriteString("uri", ca.Uri);
            w.WriteStartObject("certChain");
            w.WriteStartArray("certificates");
            foreach (var c in ca.Certificates)
            {
                w.WriteStartObject();
                w.WriteString("rawBytes", Convert.ToBase64String(c));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            WriteValidFor(w, ca.ValidFrom, ca.ValidUntil);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteLogs(Utf8JsonWriter w, string name, IEnumerable<TrustedLog> logs)
    {
        w.WriteStartArray(name);
        foreach (var log in logs)
        {
            w.WriteStartObject();
            w.WriteString("baseUrl", log.BaseUrl);
            w.WriteString("hashAlgorithm", "SHA2_256");
            w.WriteStartObject("publicKey");
            w.WriteString("rawBytes", Convert.ToBase64String(log.PublicKeyDer));
            w.WriteString("keyDetails", log.KeyDetails);
            WriteValidFor(w, log.ValidFrom, log.ValidUntil);
            w.WriteEndObject();
            w.WriteStartObject("logId");
            w.WriteString("keyId", Convert.ToBase64String(log.LogId));
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static TrustedRoot LoadPublicGood()
    {
        using var stream = typeof(TrustedRoot).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing from this build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Parse(copy.ToArray());
    }

    private static TrustedLog ReadLog(ProtoJson t)
    {
        var key = t.RequiredMessage("publicKey");
        var (from, until) = ReadValidFor(key);
        return new TrustedLog(
            t.String("baseUrl"),
            t.RequiredMessage("logId").RequiredBytes("keyId"),
            key.RequiredBytes("rawBytes"),
            key.String("keyDetails"),
            from,
            until);
    }

    private static CertificateAuthority ReadAuthority(ProtoJson a)
    {
        var subject = a.Message("subject");
        var (from, until) = ReadValidFor(a);
        return new CertificateAuthority(
            subject?.String("organization") ?? "",
            subject?.String("commonName") ?? "",
            a.String("uri"),
            [.. a.RequiredMessage("certChain").Messages("certificates").Select(c => c.RequiredBytes("rawBytes"))],
            from,
            until);
    }

    /// <summary>A TimeRange: the start is required here (a window with no start would trust all history).</summary>
    private static (DateTimeOffset From, DateTimeOffset? Until) ReadValidFor(ProtoJson holder)
    {
        var validFor = holder.RequiredMessage("validFor");
        var from = Time(validFor.RequiredString("start"), validFor.Path + ".start");
        var end = validFor.String("end");
        return (from, end.Length == 0 ? null : Time(end, validFor.Path + ".end"));
    }

    private static void WriteValidFor(Utf8JsonWriter w, DateTimeOffset from, DateTimeOffset? until)
    {
        w.WriteStartObject("validFor");
        w.WriteString("start", Rfc3339(from));
        if (until is { } end)
        {
            w.WriteString("end", Rfc3339(end));
        }

        w.WriteEndObject();
    }

    private static string Rfc3339(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Time(string value, string where) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : throw new FormatException($"{where}: '{value}' is not an RFC 3339 time");
}
