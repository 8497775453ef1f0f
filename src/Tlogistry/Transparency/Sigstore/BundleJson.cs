using System.Globalization;
using System.Text.Json;
using Tlogistry.Transparency.Envelopes;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// The protobuf-JSON form of bundles and log entries (int64 as strings, bytes as base64),
/// as Sigstore clients and Rekor v2 write it. Readers accept numbers for int64 fields and
/// null for absent messages, since real services send both.
/// </summary>
internal static class BundleJson
{
    public static byte[] Write(SigstoreBundle bundle)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("mediaType", SigstoreBundle.MediaType);
            w.WriteStartObject("verificationMaterial");
            if (bundle.Material.Certificates.Count > 0)
            {
                w.WriteStartObject("certificate");
                w.WriteString("rawBytes", Convert.ToBase64String(bundle.Material.Certificates[0]));
                w.WriteEndObject();
            }
            else
            {
                w.WriteStartObject("publicKey");
                w.WriteString("hint", bundle.Material.PublicKeyHint ?? "");
                w.WriteEndObject();
            }

            w.WriteStartArray("tlogEntries");
            WriteEntry(w, bundle.Entry);
            w.WriteEndArray();
            w.WriteEndObject();
            if (bundle.Envelope is { } envelope)
            {
                w.WritePropertyName("dsseEnvelope");
                w.WriteRawValue(envelope.ToJson(), skipInputValidation: true);
            }
            else if (bundle.MessageSignature is { } message)
            {
                w.WriteStartObject("messageSignature");
                w.WriteStartObject("messageDigest");
                w.WriteString("algorithm", message.DigestAlgorithm);
                w.WriteString("digest", Convert.ToBase64String(message.Digest));
                w.WriteEndObject();
                w.WriteString("signature", Convert.ToBase64String(message.Signature));
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>A log entry alone, in the shape Rekor v2 answers a create with.</summary>
    public static byte[] WriteEntry(TlogEntry entry)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            WriteEntry(w, entry);
        }

        return buffer.ToArray();
    }

    public static void WriteEntry(Utf8JsonWriter w, TlogEntry entry)
    {
        w.WriteStartObject();
        w.WriteString("logIndex", entry.LogIndex.ToString(CultureInfo.InvariantCulture));
        w.WriteStartObject("logId");
        w.WriteString("keyId", Convert.ToBase64String(entry.LogId));
        w.WriteEndObject();
        w.WriteStartObject("kindVersion");
        w.WriteString("kind", entry.Kind);
        w.WriteString("version", entry.Version);
        w.WriteEndObject();
        w.WriteString("integratedTime", entry.IntegratedTime.ToString(CultureInfo.InvariantCulture));
        if (entry.SignedEntryTimestamp is { } set)
        {
            w.WriteStartObject("inclusionPromise");
            w.WriteString("signedEntryTimestamp", Convert.ToBase64String(set));
            w.WriteEndObject();
        }

        if (entry.InclusionProof is { } proof)
        {
            w.WriteStartObject("inclusionProof");
            w.WriteString("logIndex", proof.LogIndex.ToString(CultureInfo.InvariantCulture));
            w.WriteString("rootHash", Convert.ToBase64String(proof.RootHash));
            w.WriteString("treeSize", proof.TreeSize.ToString(CultureInfo.InvariantCulture));
            w.WriteStartArray("hashes");
            foreach (var h in proof.Hashes)
            {
                w.WriteStringValue(Convert.ToBase64String(h));
            }

            w.WriteEndArray();
            w.WriteStartObject("checkpoint");
            w.WriteString("envelope", proof.Checkpoint);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteString("canonicalizedBody", Convert.ToBase64String(entry.CanonicalizedBody));
        w.WriteEndObject();
    }

    /// <summary>Reads a v0.1–v0.3 bundle; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static SigstoreBundle Read(ReadOnlySpan<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            return Read(doc.RootElement);
        }
        catch (JsonException e)
        {
            throw new FormatException("bundle is not JSON: " + e.Message, e);
        }
    }

    public static SigstoreBundle Read(JsonElement root)
    {
        try
        {
            var mediaType = Str(root, "mediaType");
            if (!mediaType.StartsWith("application/vnd.dev.sigstore.bundle", StringComparison.Ordinal))
            {
                throw new FormatException("not a Sigstore bundle: mediaType " + mediaType);
            }

            var vm = root.GetProperty("verificationMaterial");
            var certificates = new List<byte[]>();
            string? hint = null;
            if (vm.TryGetProperty("certificate", out var cert) && cert.ValueKind == JsonValueKind.Object)
            {
                certificates.Add(Bytes(cert, "rawBytes"));
            }
            else if (vm.TryGetProperty("x509CertificateChain", out var chain) && chain.ValueKind == JsonValueKind.Object)
            {
                foreach (var c in chain.GetProperty("certificates").EnumerateArray())
                {
                    certificates.Add(Bytes(c, "rawBytes"));
                }
            }
            else if (vm.TryGetProperty("publicKey", out var pk) && pk.ValueKind == JsonValueKind.Object)
            {
                hint = pk.TryGetProperty("hint", out var h) ? h.GetString() ?? "" : "";
            }
            else
            {
                throw new FormatException("bundle has no certificate, chain or public key");
            }

            var entries = vm.GetProperty("tlogEntries");
            if (entries.GetArrayLength() != 1)
            {
                throw new FormatException($"bundle has {entries.GetArrayLength()} log entries; exactly one is supported");
            }

            var entry = ReadEntry(entries[0]);
            DsseEnvelope? envelope = null;
            MessageSignature? message = null;
            if (root.TryGetProperty("dsseEnvelope", out var env) && env.ValueKind == JsonValueKind.Object)
            {
                envelope = DsseEnvelope.Parse(System.Text.Encoding.UTF8.GetBytes(env.GetRawText()));
            }
            else if (root.TryGetProperty("messageSignature", out var ms) && ms.ValueKind == JsonValueKind.Object)
            {
                var md = ms.GetProperty("messageDigest");
                message = new MessageSignature(Str(md, "algorithm"), Bytes(md, "digest"), Bytes(ms, "signature"));
            }
            else
            {
                throw new FormatException("bundle has neither dsseEnvelope nor messageSignature");
            }

            return new SigstoreBundle(new VerificationMaterial(hint, certificates), entry, envelope, message);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new FormatException("malformed bundle: " + e.Message, e);
        }
    }

    /// <summary>Reads a TransparencyLogEntry (a bundle's tlogEntries[i], or a Rekor v2 create answer).</summary>
    public static TlogEntry ReadEntry(JsonElement e)
    {
        try
        {
            var kv = e.GetProperty("kindVersion");
            InclusionProof? proof = null;
            if (e.TryGetProperty("inclusionProof", out var p) && p.ValueKind == JsonValueKind.Object)
            {
                var hashes = new List<byte[]>();
                foreach (var h in p.GetProperty("hashes").EnumerateArray())
                {
                    hashes.Add(Convert.FromBase64String(h.GetString() ?? ""));
                }

                proof = new InclusionProof(Int64(p, "logIndex"), Bytes(p, "rootHash"), Int64(p, "treeSize"), hashes, Str(p.GetProperty("checkpoint"), "envelope"));
            }

            byte[]? set = null;
            if (e.TryGetProperty("inclusionPromise", out var promise) && promise.ValueKind == JsonValueKind.Object)
            {
                set = Bytes(promise, "signedEntryTimestamp");
            }

            return new TlogEntry(
                Int64(e, "logIndex"),
                Bytes(e.GetProperty("logId"), "keyId"),
                Str(kv, "kind"),
                Str(kv, "version"),
                e.TryGetProperty("integratedTime", out _) ? Int64(e, "integratedTime") : 0,
                set,
                proof,
                Bytes(e, "canonicalizedBody"));
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("malformed log entry: " + ex.Message, ex);
        }
    }

    private static string Str(JsonElement e, string name) =>
        e.GetProperty(name).GetString() ?? throw new FormatException(name + " is null");

    private static byte[] Bytes(JsonElement e, string name)
    {
        try
        {
            return Convert.FromBase64String(Str(e, name));
        }
        catch (FormatException ex)
        {
            throw new FormatException(name + " is not base64", ex);
        }
    }

    /// <summary>protobuf-JSON int64: a decimal string, though numbers are accepted too. Never negative here.</summary>
    private static long Int64(JsonElement e, string name)
    {
        var v = e.GetProperty(name);
        var value = v.ValueKind switch
        {
            JsonValueKind.Number => v.GetInt64(),
            JsonValueKind.String when long.TryParse(v.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
            _ => throw new FormatException($"{name} is not an int64"),
        };
        return value >= 0 ? value : throw new FormatException($"{name} is negative");
    }
}
