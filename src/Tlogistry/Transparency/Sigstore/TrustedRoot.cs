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

    public TrustedRoot(IEnumerable<TrustedLog> logs, IEnumerable<CertificateAuthority> certificateAuthorities, IEnumerable<TrustedLog>? ctLogs = null)
    {
        ArgumentNullException.ThrowIfNull(logs);
        ArgumentNullException.ThrowIfNull(certificateAuthorities);
        Logs = [.. logs];
        CertificateAuthorities = [.. certificateAuthorities];
        CtLogs = [.. ctLogs ?? []];
    }

    /// <summary>The Sigstore public-good root (rekor.sigstore.dev, log2025-1, Fulcio) as shipped with this build.</summary>
    public static TrustedRoot PublicGood => PublicGoodRoot.Value;

    public IReadOnlyList<TrustedLog> Logs { get; }

    public IReadOnlyList<CertificateAuthority> CertificateAuthorities { get; }

    /// <summary>The certificate transparency logs whose SCTs prove a Fulcio certificate was logged.</summary>
    public IReadOnlyList<TrustedLog> CtLogs { get; }

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
    public TrustedRoot WithLogs(IEnumerable<TrustedLog> logs) => new([.. Logs, .. logs], CertificateAuthorities, CtLogs);

    /// <summary>This root's logs with the certificate authorities and CT logs of <paramref name="other"/> only.</summary>
    public TrustedRoot WithAuthoritiesOf(TrustedRoot other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(Logs, other.CertificateAuthorities, other.CtLogs);
    }

    /// <summary>Reads a trusted_root.json; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static TrustedRoot Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new FormatException("trusted root is not JSON: " + e.Message, e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            try
            {
                var mediaType = Str(root, "mediaType");
                if (mediaType != MediaType)
                {
                    throw new FormatException($"trusted root has mediaType {mediaType}; expected {MediaType}");
                }

                var logs = new List<TrustedLog>();
                if (root.TryGetProperty("tlogs", out var tlogs))
                {
                    var i = 0;
                    foreach (var t in tlogs.EnumerateArray())
                    {
                        logs.Add(ReadLog(t, $"tlogs[{i++}]"));
                    }
                }

                var cas = new List<CertificateAuthority>();
                if (root.TryGetProperty("certificateAuthorities", out var authorities))
                {
                    var i = 0;
                    foreach (var a in authorities.EnumerateArray())
                    {
                        cas.Add(ReadAuthority(a, $"certificateAuthorities[{i++}]"));
                    }
                }

                var ctLogs = new List<TrustedLog>();
                if (root.TryGetProperty("ctlogs", out var ct))
                {
                    var i = 0;
                    foreach (var t in ct.EnumerateArray())
                    {
                        ctLogs.Add(ReadLog(t, $"ctlogs[{i++}]"));
                    }
                }

                return new TrustedRoot(logs, cas, ctLogs);
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException)
            {
                throw new FormatException("malformed trusted root: " + e.Message, e);
            }
        }
    }

    /// <summary>This root in trusted_root.json form (logs, certificate authorities and CT logs).</summary>
    public byte[] Write() => Write(Logs, CertificateAuthorities, CtLogs);

    /// <summary>A trusted_root.json naming only these logs, as a self-hosted log publishes about itself.</summary>
    public static byte[] Write(IEnumerable<TrustedLog> logs) => Write(logs, [], []);

    private static byte[] Write(IEnumerable<TrustedLog> logs, IEnumerable<CertificateAuthority> authorities, IEnumerable<TrustedLog> ctLogs)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("mediaType", MediaType);
            WriteLogs(w, "tlogs", logs);
            w.WriteStartArray("certificateAuthorities");
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
            WriteLogs(w, "ctlogs", ctLogs);
            w.WriteEndObject();
        }

        return buffer.ToArray();
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

    private static TrustedLog ReadLog(JsonElement t, string where)
    {
        var key = Member(t, "publicKey", where);
        var (from, until) = ReadValidFor(key, where);
        return new TrustedLog(
            Str(t, "baseUrl"),
            Bytes(Member(t, "logId", where), "keyId", where),
            Bytes(key, "rawBytes", where),
            Str(key, "keyDetails"),
            from,
            until);
    }

    private static CertificateAuthority ReadAuthority(JsonElement a, string where)
    {
        var subject = a.TryGetProperty("subject", out var s) ? s : default;
        var certificates = new List<byte[]>();
        foreach (var c in Member(Member(a, "certChain", where), "certificates", where).EnumerateArray())
        {
            certificates.Add(Bytes(c, "rawBytes", where));
        }

        var (from, until) = ReadValidFor(a, where);
        return new CertificateAuthority(
            OptionalStr(subject, "organization"),
            OptionalStr(subject, "commonName"),
            OptionalStr(a, "uri"),
            certificates,
            from,
            until);
    }

    private static (DateTimeOffset From, DateTimeOffset? Until) ReadValidFor(JsonElement holder, string where)
    {
        var validFor = Member(holder, "validFor", where);
        var from = Time(Str(validFor, "start"), where);
        DateTimeOffset? until = validFor.TryGetProperty("end", out var end) && end.ValueKind == JsonValueKind.String
            ? Time(end.GetString()!, where)
            : null;
        return (from, until);
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

    private static JsonElement Member(JsonElement e, string name, string where) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null
            ? v
            : throw new FormatException($"{where} has no {name}");

    private static string Str(JsonElement e, string name) =>
        e.GetProperty(name).GetString() ?? throw new FormatException(name + " is null");

    private static string OptionalStr(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : "";

    private static byte[] Bytes(JsonElement e, string name, string where)
    {
        try
        {
            return Convert.FromBase64String(Str(e, name));
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{where}: {name} is not base64", ex);
        }
    }
}
