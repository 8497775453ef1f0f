using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Transparency.Sigstore.Identity;

/// <summary>
/// RFC 6962 signed certificate timestamps: the promise of a certificate transparency log that
/// it logged a certificate. Fulcio embeds them in the leaf (extension 1.3.6.1.4.1.11129.2.4.2,
/// signed over the precertificate) or answers one detached (signed over the final
/// certificate). A certificate counts as logged when at least one SCT from a trusted CT log,
/// made inside that log's validity window, verifies; SCTs from unknown logs are ignored.
/// Pure: every answer is null (verified) or the reason it is not.
/// </summary>
internal static class SctVerifier
{
    public const string SctListOid = "1.3.6.1.4.1.11129.2.4.2";

    private const byte CertificateTimestamp = 0;
    private const ushort X509Entry = 0;
    private const ushort PrecertEntry = 1;

    /// <summary>Checks the SCTs embedded in <paramref name="leafDer"/>, issued by the CA whose DER key is <paramref name="issuerKeyDer"/>.</summary>
    public static string? VerifyEmbedded(byte[] leafDer, byte[] issuerKeyDer, IReadOnlyList<TrustedLog> ctLogs)
    {
        ArgumentNullException.ThrowIfNull(leafDer);
        ArgumentNullException.ThrowIfNull(issuerKeyDer);
        ArgumentNullException.ThrowIfNull(ctLogs);
        byte[]? list;
        byte[] precertificate;
        try
        {
            (list, precertificate) = SplitSctList(leafDer);
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            return "the certificate is not DER: " + e.Message;
        }

        if (list is null)
        {
            return "the certificate carries no SCT (1.3.6.1.4.1.11129.2.4.2)";
        }

        List<Sct> scts;
        try
        {
            scts = ReadList(list);
        }
        catch (FormatException e)
        {
            return "the certificate's SCT list is malformed: " + e.Message;
        }

        // entry_type precert_entry: issuer_key_hash, then the TBSCertificate without the SCT list.
        var entry = new byte[2 + 32 + 3 + precertificate.Length];
        BinaryPrimitives.WriteUInt16BigEndian(entry, PrecertEntry);
        SHA256.HashData(issuerKeyDer, entry.AsSpan(2, 32));
        WriteUInt24(entry.AsSpan(34), precertificate.Length);
        precertificate.CopyTo(entry, 37);
        return Verify(scts, entry, ctLogs);
    }

    /// <summary>Checks a detached SCT (RFC 6962 add-chain JSON, as Fulcio answers it) over the final certificate.</summary>
    public static string? VerifyDetached(byte[] leafDer, byte[] sctJson, IReadOnlyList<TrustedLog> ctLogs)
    {
        ArgumentNullException.ThrowIfNull(leafDer);
        ArgumentNullException.ThrowIfNull(sctJson);
        Sct sct;
        try
        {
            sct = ReadJson(sctJson);
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return "the detached SCT is malformed: " + e.Message;
        }

        var entry = new byte[2 + 3 + leafDer.Length];
        BinaryPrimitives.WriteUInt16BigEndian(entry, X509Entry);
        WriteUInt24(entry.AsSpan(2), leafDer.Length);
        leafDer.CopyTo(entry, 5);
        return Verify([sct], entry, ctLogs);
    }

    private static string? Verify(List<Sct> scts, byte[] entry, IReadOnlyList<TrustedLog> ctLogs)
    {
        var reasons = new List<string>();
        foreach (var sct in scts)
        {
            var log = ctLogs.FirstOrDefault(l => l.LogId.AsSpan().SequenceEqual(sct.LogId));
            var id = Convert.ToHexStringLower(sct.LogId);
            if (log is null)
            {
                reasons.Add($"{id}: not a trusted CT log");
                continue;
            }

            if (sct.Timestamp > (ulong)DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            {
                reasons.Add($"{id}: the timestamp is out of range");
                continue;
            }

            var time = DateTimeOffset.FromUnixTimeMilliseconds((long)sct.Timestamp);
            if (time < log.ValidFrom || (log.ValidUntil is { } until && time > until))
            {
                reasons.Add($"{id}: {time.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)} is outside the log's validity");
                continue;
            }

            if (Verifies(log.PublicKeyDer, SignedData(sct, entry), sct))
            {
                return null;
            }

            reasons.Add($"{id}: the signature does not verify");
        }

        return reasons.Count == 0 ? "the SCT list is empty" : "no SCT verifies against a trusted CT log: " + string.Join("; ", reasons);
    }

    /// <summary>digitally-signed struct { version, signature_type, timestamp, entry, extensions }.</summary>
    private static byte[] SignedData(Sct sct, byte[] entry)
    {
        var data = new byte[1 + 1 + 8 + entry.Length + 2 + sct.Extensions.Length];
        data[0] = sct.Version;
        data[1] = CertificateTimestamp;
        BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(2), sct.Timestamp);
        entry.CopyTo(data, 10);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(10 + entry.Length), (ushort)sct.Extensions.Length);
        sct.Extensions.CopyTo(data, 12 + entry.Length);
        return data;
    }

    /// <summary>SHA-256 with ECDSA (DER signature) or RSA PKCS#1 v1.5, the two RFC 6962 allows.</summary>
    private static bool Verifies(byte[] keyDer, byte[] data, Sct sct)
    {
        const byte Sha256 = 4;
        const byte Rsa = 1;
        const byte Ecdsa = 3;
        if (sct.HashAlgorithm != Sha256)
        {
            return false;
        }

        try
        {
            switch (sct.SignatureAlgorithm)
            {
                case Ecdsa:
                    using (var ec = ECDsa.Create())
                    {
                        ec.ImportSubjectPublicKeyInfo(keyDer, out _);
                        return ec.VerifyData(data, sct.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
                    }

                case Rsa:
                    using (var rsa = RSA.Create())
                    {
                        rsa.ImportSubjectPublicKeyInfo(keyDer, out _);
                        return rsa.VerifyData(data, sct.Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                    }

                default:
                    return false;
            }
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>
    /// The SCT list extension's contents, and the certificate's TBSCertificate re-encoded
    /// without that extension: what the log signed, as the CA presented it before adding the SCTs.
    /// </summary>
    private static (byte[]? List, byte[] Precertificate) SplitSctList(byte[] leafDer)
    {
        var certificate = new AsnReader(leafDer, AsnEncodingRules.DER).ReadSequence();
        var tbs = certificate.ReadSequence();
        byte[]? list = null;
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            var extensionsTag = new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true);
            while (tbs.HasData)
            {
                if (!tbs.PeekTag().HasSameClassAndValue(extensionsTag))
                {
                    writer.WriteEncodedValue(tbs.ReadEncodedValue().Span);
                    continue;
                }

                var explicitExtensions = tbs.ReadSequence(extensionsTag);
                var extensions = explicitExtensions.ReadSequence();
                using (writer.PushSequence(extensionsTag))
                using (writer.PushSequence())
                {
                    while (extensions.HasData)
                    {
                        var encoded = extensions.ReadEncodedValue();
                        var extension = new AsnReader(encoded, AsnEncodingRules.DER).ReadSequence();
                        if (extension.ReadObjectIdentifier() != SctListOid)
                        {
                            writer.WriteEncodedValue(encoded.Span);
                            continue;
                        }

                        if (extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
                        {
                            extension.ReadBoolean();
                        }

                        // The extension value is an OCTET STRING holding a DER OCTET STRING of the TLS list.
                        list = new AsnReader(extension.ReadOctetString(), AsnEncodingRules.DER).ReadOctetString();
                    }
                }
            }
        }

        return (list, writer.Encode());
    }

    /// <summary>SignedCertificateTimestampList: opaque SerializedSCT&lt;1..2^16-1&gt; list&lt;1..2^16-1&gt;.</summary>
    private static List<Sct> ReadList(byte[] list)
    {
        var span = (ReadOnlySpan<byte>)list;
        var total = ReadUInt16(ref span);
        if (total != span.Length)
        {
            throw new FormatException("list length does not match its contents");
        }

        var scts = new List<Sct>();
        while (!span.IsEmpty)
        {
            var one = Take(ref span, ReadUInt16(ref span));
            scts.Add(ReadSct(one));
        }

        return scts;
    }

    private static Sct ReadSct(ReadOnlySpan<byte> s)
    {
        var version = Take(ref s, 1)[0];
        if (version != 0)
        {
            throw new FormatException($"SCT version {version} is not v1");
        }

        var logId = Take(ref s, 32).ToArray();
        var timestamp = BinaryPrimitives.ReadUInt64BigEndian(Take(ref s, 8));
        var extensions = Take(ref s, ReadUInt16(ref s)).ToArray();
        var hash = Take(ref s, 1)[0];
        var signatureAlgorithm = Take(ref s, 1)[0];
        var signature = Take(ref s, ReadUInt16(ref s)).ToArray();
        return s.IsEmpty ? new Sct(version, logId, timestamp, extensions, hash, signatureAlgorithm, signature) : throw new FormatException("trailing bytes after an SCT");
    }

    /// <summary>{"sct_version":0,"id":b64,"timestamp":ms,"extensions":b64,"signature":b64 of DigitallySigned}.</summary>
    private static Sct ReadJson(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var version = root.GetProperty("sct_version").GetByte();
        var logId = Convert.FromBase64String(root.GetProperty("id").GetString() ?? "");
        var timestamp = root.GetProperty("timestamp").GetUInt64();
        var extensions = Convert.FromBase64String(root.TryGetProperty("extensions", out var e) ? e.GetString() ?? "" : "");
        ReadOnlySpan<byte> signed = Convert.FromBase64String(root.GetProperty("signature").GetString() ?? "");
        var hash = Take(ref signed, 1)[0];
        var signatureAlgorithm = Take(ref signed, 1)[0];
        var signature = Take(ref signed, ReadUInt16(ref signed)).ToArray();
        return version == 0 && logId.Length == 32 && signed.IsEmpty
            ? new Sct(version, logId, timestamp, extensions, hash, signatureAlgorithm, signature)
            : throw new FormatException("not a v1 SCT with a 32-byte log ID");
    }

    private static ushort ReadUInt16(ref ReadOnlySpan<byte> s) => BinaryPrimitives.ReadUInt16BigEndian(Take(ref s, 2));

    private static ReadOnlySpan<byte> Take(ref ReadOnlySpan<byte> s, int count)
    {
        if (count > s.Length)
        {
            throw new FormatException("truncated");
        }

        var taken = s[..count];
        s = s[count..];
        return taken;
    }

    private static void WriteUInt24(Span<byte> destination, int value)
    {
        destination[0] = (byte)(value >> 16);
        destination[1] = (byte)(value >> 8);
        destination[2] = (byte)value;
    }

    private sealed record Sct(byte Version, byte[] LogId, ulong Timestamp, byte[] Extensions, byte HashAlgorithm, byte SignatureAlgorithm, byte[] Signature);
}
