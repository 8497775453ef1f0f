using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Envelopes;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// What a log entry's canonicalized body commits to, read without any I/O: the signers it
/// names and the digests, signatures or envelope it records. Kinds: Rekor's intoto and dsse
/// (0.0.1, 0.0.2) and hashedrekord (0.0.1, 0.0.2), and the embedded log's sighting leaf.
/// The hashes Rekor takes of the submitted envelope bytes (dsse envelopeHash, intoto hash)
/// are not compared: a bundle keeps the envelope's fields, not the bytes that were sent.
/// </summary>
internal sealed class EntryBody
{
    /// <summary>The embedded log's leaf carries no version; its entries are given this one.</summary>
    public const string SightingVersion = "0.0.1";

    private EntryBody(string kind, string version, IReadOnlyList<BodySigner> signers)
    {
        Kind = kind;
        Version = version;
        Signers = signers;
    }

    public string Kind { get; }

    public string Version { get; }

    /// <summary>The signers the body names; empty for a sighting leaf, whose envelope names its key only by ID.</summary>
    public IReadOnlyList<BodySigner> Signers { get; }

    /// <summary>SHA-256 of the DSSE payload (intoto, dsse).</summary>
    private byte[]? PayloadHash { get; init; }

    /// <summary>intoto 0.0.2 also records the payload type.</summary>
    private string? PayloadType { get; init; }

    /// <summary>The signed artifact's digest (hashedrekord).</summary>
    private byte[]? Digest { get; init; }

    /// <summary>The whole envelope (sighting leaf).</summary>
    private DsseEnvelope? Envelope { get; init; }

    /// <summary>The integrated time an embedded sighting leaf states (covered by the leaf hash), or null.</summary>
    public long? LeafIntegratedTime { get; private init; }

    /// <summary>
    /// Parses a body whose entry claims <paramref name="kind"/> and <paramref name="version"/>;
    /// throws <see cref="FormatException"/> if the body is malformed, of another kind or version, or unsupported.
    /// </summary>
    public static EntryBody Parse(ReadOnlySpan<byte> body, string kind, string version)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(version);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException e)
        {
            throw new FormatException("entry body is not JSON: " + e.Message, e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            try
            {
                var bodyKind = Str(root, "kind");
                var bodyVersion = bodyKind == EmbeddedEntry.Kind ? SightingVersion : Str(root, "apiVersion");
                if (bodyKind != kind || bodyVersion != version)
                {
                    throw new FormatException($"entry says {kind} {version} but its body is {bodyKind} {bodyVersion}");
                }

                return (kind, version) switch
                {
                    ("intoto", "0.0.1") => IntotoV001(root.GetProperty("spec")),
                    ("intoto", "0.0.2") => IntotoV002(root.GetProperty("spec").GetProperty("content")),
                    ("dsse", "0.0.1") => DsseV001(root.GetProperty("spec")),
                    ("dsse", "0.0.2") => DsseV002(root.GetProperty("spec").GetProperty("dsseV002")),
                    ("hashedrekord", "0.0.1") => HashedRekordV001(root.GetProperty("spec")),
                    ("hashedrekord", "0.0.2") => HashedRekordV002(root.GetProperty("spec").GetProperty("hashedRekordV002")),
                    (EmbeddedEntry.Kind, SightingVersion) => Sighting(root),
                    _ => throw new FormatException($"entry kind {kind} {version} is not supported"),
                };
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException)
            {
                throw new FormatException($"malformed {kind} {version} body: {e.Message}", e);
            }
        }
    }

    /// <summary>Null when the body commits to this envelope, else what differs.</summary>
    public string? FindMismatch(DsseEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        if (Envelope is { } leafEnvelope)
        {
            return SameEnvelope(leafEnvelope, envelope) ? null : "the envelope in the log differs from the bundle's";
        }

        if (Digest is { } digest)
        {
            // A DSSE envelope logged as hashedrekord: the digest of its PAE and its one signature.
            if (envelope.Signatures.Count != 1)
            {
                return $"a hashedrekord entry commits to one signature, the envelope has {envelope.Signatures.Count}";
            }

            return !digest.AsSpan().SequenceEqual(SHA256.HashData(envelope.Pae())) ? "digest is not SHA-256 of the envelope's PAE"
                : !Signers[0].Signature!.AsSpan().SequenceEqual(envelope.Signatures[0].Signature) ? "signature differs from the envelope's"
                : null;
        }

        if (PayloadHash is null)
        {
            return $"a {Kind} {Version} entry does not hold an envelope";
        }

        if (!PayloadHash.AsSpan().SequenceEqual(SHA256.HashData(envelope.Payload)))
        {
            return "payload hash differs from SHA-256 of the envelope's payload";
        }

        if (PayloadType is { } type && type != envelope.PayloadType)
        {
            return $"payload type {type} differs from the envelope's {envelope.PayloadType}";
        }

        var logged = Signers.Where(s => s.Signature is not null).Select(s => s.Signature!).ToList();
        if (logged.Count > 0)
        {
            if (logged.Count != envelope.Signatures.Count
                || !envelope.Signatures.All(s => logged.Exists(l => l.AsSpan().SequenceEqual(s.Signature))))
            {
                return "signatures differ from the envelope's";
            }
        }

        return null;
    }

    /// <summary>Null when the body commits to this signature over an artifact digest, else what differs.</summary>
    public string? FindMismatch(MessageSignature message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (Digest is not { } digest)
        {
            return $"a {Kind} {Version} entry does not hold a message signature";
        }

        return !IsSha256(message.DigestAlgorithm) ? $"digest algorithm {message.DigestAlgorithm} is not supported"
            : !digest.AsSpan().SequenceEqual(message.Digest) ? "digest differs from the message digest"
            : !Signers[0].Signature!.AsSpan().SequenceEqual(message.Signature) ? "signature differs from the message signature"
            : null;
    }

    private static EntryBody IntotoV001(JsonElement spec)
    {
        var content = spec.GetProperty("content");
        return new EntryBody("intoto", "0.0.1", [Signer(null, Str(spec, "publicKey"))])
        {
            PayloadHash = HexHash(content.GetProperty("payloadHash")),
        };
    }

    private static EntryBody IntotoV002(JsonElement content)
    {
        var envelope = content.GetProperty("envelope");
        var signers = new List<BodySigner>();
        foreach (var s in envelope.GetProperty("signatures").EnumerateArray())
        {
            // Rekor base64-encodes the envelope's already base64 signature once more.
            var inner = Encoding.ASCII.GetString(Base64(Str(s, "sig"), "sig"));
            signers.Add(Signer(Base64(inner, "sig"), Str(s, "publicKey")));
        }

        return new EntryBody("intoto", "0.0.2", RequireSigners(signers))
        {
            PayloadHash = HexHash(content.GetProperty("payloadHash")),
            PayloadType = Str(envelope, "payloadType"),
        };
    }

    private static EntryBody DsseV001(JsonElement spec)
    {
        var signers = new List<BodySigner>();
        foreach (var s in spec.GetProperty("signatures").EnumerateArray())
        {
            signers.Add(Signer(Base64(Str(s, "signature"), "signature"), Str(s, "verifier")));
        }

        return new EntryBody("dsse", "0.0.1", RequireSigners(signers))
        {
            PayloadHash = HexHash(spec.GetProperty("payloadHash")),
        };
    }

    private static EntryBody DsseV002(JsonElement spec)
    {
        var signers = new List<BodySigner>();
        foreach (var s in spec.GetProperty("signatures").EnumerateArray())
        {
            signers.Add(V002Signer(Base64(Str(s, "content"), "content"), s.GetProperty("verifier")));
        }

        return new EntryBody("dsse", "0.0.2", RequireSigners(signers))
        {
            PayloadHash = Base64Hash(spec.GetProperty("payloadHash")),
        };
    }

    private static EntryBody HashedRekordV001(JsonElement spec)
    {
        var signature = spec.GetProperty("signature");
        var key = Str(signature.GetProperty("publicKey"), "content");
        return new EntryBody("hashedrekord", "0.0.1", [Signer(Base64(Str(signature, "content"), "content"), key)])
        {
            Digest = HexHash(spec.GetProperty("data").GetProperty("hash")),
        };
    }

    private static EntryBody HashedRekordV002(JsonElement spec)
    {
        var signature = spec.GetProperty("signature");
        var signer = V002Signer(Base64(Str(signature, "content"), "content"), signature.GetProperty("verifier"));
        return new EntryBody("hashedrekord", "0.0.2", [signer])
        {
            Digest = Base64Hash(spec.GetProperty("data")),
        };
    }

    private static EntryBody Sighting(JsonElement root)
    {
        var envelope = DsseEnvelope.Parse(Encoding.UTF8.GetBytes(root.GetProperty("envelope").GetRawText()));
        if (root.GetProperty("integratedTime").ValueKind != JsonValueKind.Number)
        {
            throw new FormatException("sighting integratedTime is not a number");
        }

        // A keyless sighting names its certificate; a key-mode one names no signer (the key is configured).
        List<BodySigner> signers = root.TryGetProperty("certificate", out var certificate)
            ? [new BodySigner(null, Base64(certificate.GetString() ?? "", "certificate"), IsCertificate: true)]
            : [];
        return new EntryBody(EmbeddedEntry.Kind, SightingVersion, signers) { Envelope = envelope, LeafIntegratedTime = root.GetProperty("integratedTime").GetInt64() };
    }

    private static List<BodySigner> RequireSigners(List<BodySigner> signers) =>
        signers.Count > 0 ? signers : throw new FormatException("body names no signature");

    /// <summary>Rekor v1 carries keys and certificates as PEM, base64-encoded in the body (some clients send DER).</summary>
    private static BodySigner Signer(byte[]? signature, string verifier)
    {
        var text = verifier;
        if (!verifier.StartsWith("-----BEGIN", StringComparison.Ordinal))
        {
            var bytes = Base64(verifier, "verifier");
            if (!bytes.AsSpan().StartsWith("-----BEGIN"u8))
            {
                return new BodySigner(signature, bytes, IsCertificate: false);
            }

            text = Encoding.ASCII.GetString(bytes);
        }

        if (!PemEncoding.TryFind(text, out var fields))
        {
            throw new FormatException("verifier is not PEM");
        }

        var label = text[fields.Label];
        var data = Base64(text[fields.Base64Data], "PEM");
        return label switch
        {
            "CERTIFICATE" => new BodySigner(signature, data, IsCertificate: true),
            "PUBLIC KEY" => new BodySigner(signature, data, IsCertificate: false),
            _ => throw new FormatException($"verifier PEM is a {label}, not a certificate or public key"),
        };
    }

    private static BodySigner V002Signer(byte[] signature, JsonElement verifier)
    {
        if (verifier.TryGetProperty("x509Certificate", out var cert) && cert.ValueKind == JsonValueKind.Object)
        {
            return new BodySigner(signature, Base64(Str(cert, "rawBytes"), "rawBytes"), IsCertificate: true);
        }

        return new BodySigner(signature, Base64(Str(verifier.GetProperty("publicKey"), "rawBytes"), "rawBytes"), IsCertificate: false);
    }

    /// <summary>Rekor v1 hashes: {"algorithm":"sha256","value":hex}.</summary>
    private static byte[] HexHash(JsonElement hash)
    {
        var algorithm = Str(hash, "algorithm");
        if (!IsSha256(algorithm))
        {
            throw new FormatException($"hash algorithm {algorithm} is not supported");
        }

        try
        {
            var value = Convert.FromHexString(Str(hash, "value"));
            return value.Length == SHA256.HashSizeInBytes ? value : throw new FormatException("SHA-256 hash is not 32 bytes");
        }
        catch (FormatException e)
        {
            throw new FormatException("hash value is not 32 bytes of hex", e);
        }
    }

    /// <summary>Rekor v2 hashes: {"algorithm":"SHA2_256","digest":base64}.</summary>
    private static byte[] Base64Hash(JsonElement hash)
    {
        var algorithm = Str(hash, "algorithm");
        if (!IsSha256(algorithm))
        {
            throw new FormatException($"hash algorithm {algorithm} is not supported");
        }

        var value = Base64(Str(hash, "digest"), "digest");
        return value.Length == SHA256.HashSizeInBytes ? value : throw new FormatException("SHA-256 digest is not 32 bytes");
    }

    private static bool IsSha256(string algorithm) => algorithm is "sha256" or "SHA2_256";

    private static bool SameEnvelope(DsseEnvelope a, DsseEnvelope b) =>
        a.PayloadType == b.PayloadType
        && a.Payload.AsSpan().SequenceEqual(b.Payload)
        && a.Signatures.Count == b.Signatures.Count
        && a.Signatures.Zip(b.Signatures).All(p => p.First.KeyId == p.Second.KeyId && p.First.Signature.AsSpan().SequenceEqual(p.Second.Signature));

    private static string Str(JsonElement e, string name) =>
        e.GetProperty(name).GetString() ?? throw new FormatException(name + " is null");

    private static byte[] Base64(string value, string what)
    {
        try
        {
            return Convert.FromBase64String(value);
        }
        catch (FormatException e)
        {
            throw new FormatException(what + " is not base64", e);
        }
    }
}
