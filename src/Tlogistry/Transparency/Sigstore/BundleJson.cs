using System.Globalization;
using System.Text.Json;
using Tlogistry.Transparency.Envelopes;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// The protobuf-JSON form of bundles and log entries (int64 as strings, bytes as base64),
/// as Sigstore clients and Rekor v2 write it. Reading follows the mapping through
/// <see cref="ProtoJson"/>: absent fields are zero values, so an entry at index 0 or a
/// proof with no hashes reads as such, and errors name the field.
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
            if (bundle.Material.Rfc3161Timestamps.Count > 0)
            {
                w.WriteStartObject("timestampVerificationData");
                w.WriteStartArray("rfc3161Timestamps");
                foreach (var t in bundle.Material.Rfc3161Timestamps)
                {
                    w.WriteStartObject();
                    w.WriteString("signedTimestamp", Convert.ToBase64String(t));
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

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
    public static SigstoreBundle Read(ReadOnlySpan<byte> json) => ProtoJson.Parse(json, "bundle", Read);

    public static SigstoreBundle Read(JsonElement root) => Read(ProtoJson.Root(root, "bundle"));

    private static SigstoreBundle Read(ProtoJson root)
    {
        try
        {
            var mediaType = root.String("mediaType");
            if (!mediaType.StartsWith("application/vnd.dev.sigstore.bundle", StringComparison.Ordinal))
            {
                throw new FormatException($"not a Sigstore bundle: mediaType is '{mediaType}'");
            }

            var vm = root.RequiredMessage("verificationMaterial");
            var certificates = new List<byte[]>();
            string? hint = null;
            if (vm.Message("certificate") is { } cert)
            {
                certificates.Add(cert.RequiredBytes("rawBytes"));
            }
            else if (vm.Message("x509CertificateChain") is { } chain)
            {
                certificates.AddRange(chain.Messages("certificates").Select(c => c.RequiredBytes("rawBytes")));
                if (certificates.Count == 0)
                {
                    throw new FormatException("verificationMaterial.x509CertificateChain.certificates is empty");
                }
            }
            else if (vm.Message("publicKey") is { } pk)
            {
                hint = pk.String("hint");
            }
            else
            {
                throw new FormatException("bundle has no certificate, chain or public key");
            }

            var entries = vm.Messages("tlogEntries");
            if (entries.Count != 1)
            {
                throw new FormatException($"bundle has {entries.Count} log entries; exactly one is supported");
            }

            var entry = ReadEntry(entries[0]);
            var timestamps = vm.Message("timestampVerificationData") is { } tvd
                ? tvd.Messages("rfc3161Timestamps").Select(t => t.RequiredBytes("signedTimestamp")).ToList()
                : [];
            DsseEnvelope? envelope = null;
            MessageSignature? message = null;
            if (root.Message("dsseEnvelope") is { } env)
            {
                var signatures = env.Messages("signatures").Select(s => new DsseSignature(s.String("keyid"), s.Bytes("sig"))).ToList();
                envelope = new DsseEnvelope(env.String("payloadType"), env.Bytes("payload"), signatures);
            }
            else if (root.Message("messageSignature") is { } ms)
            {
                var md = ms.Message("messageDigest");
                message = new MessageSignature(md?.String("algorithm") ?? "", md?.Bytes("digest") ?? [], ms.RequiredBytes("signature"));
            }
            else
            {
                throw new FormatException("bundle has neither dsseEnvelope nor messageSignature");
            }

            return new SigstoreBundle(new VerificationMaterial(hint, certificates) { Rfc3161Timestamps = timestamps }, entry, envelope, message);
        }
        catch (FormatException e)
        {
            throw new FormatException("malformed bundle: " + e.Message, e);
        }
    }

    /// <summary>Reads a TransparencyLogEntry (a bundle's tlogEntries[i], or a Rekor v2 create answer).</summary>
    public static TlogEntry ReadEntry(JsonElement e)
    {
        try
        {
            return ReadEntry(ProtoJson.Root(e, "log entry"));
        }
        catch (FormatException ex)
        {
            throw new FormatException("malformed log entry: " + ex.Message, ex);
        }
    }

    private static TlogEntry ReadEntry(ProtoJson e)
    {
        var kv = e.RequiredMessage("kindVersion");
        InclusionProof? proof = null;
        if (e.Message("inclusionProof") is { } p)
        {
            proof = new InclusionProof(
                p.NonNegativeInt64("logIndex"),
                p.RequiredBytes("rootHash"),
                p.NonNegativeInt64("treeSize"),
                p.BytesList("hashes"),
                p.Message("checkpoint")?.String("envelope") ?? "");
        }

        byte[]? set = null;
        if (e.Message("inclusionPromise") is { } promise)
        {
            set = promise.RequiredBytes("signedEntryTimestamp");
        }

        return new TlogEntry(
            e.NonNegativeInt64("logIndex"),
            e.RequiredMessage("logId").RequiredBytes("keyId"),
            kv.RequiredString("kind"),
            kv.RequiredString("version"),
            e.NonNegativeInt64("integratedTime"),
            set,
            proof,
            e.RequiredBytes("canonicalizedBody"));
    }
}
