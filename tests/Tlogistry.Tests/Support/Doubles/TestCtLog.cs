using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Tests.Support.Doubles;

/// <summary>
/// A certificate transparency log's signing half, as a CA meets it (RFC 6962): it signs SCTs
/// over a precertificate's TBSCertificate (embedded in the final certificate, as Fulcio issues
/// them) or over a final certificate (the detached SCT Fulcio may answer with). ECDSA P-256,
/// log ID = SHA-256 of the DER key, as the Sigstore trusted root lists CT logs.
/// </summary>
internal sealed class TestCtLog : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestCtLog(DateTimeOffset validFrom)
    {
        ValidFrom = validFrom;
        PublicKeyDer = _key.ExportSubjectPublicKeyInfo();
    }

    public DateTimeOffset ValidFrom { get; }

    public byte[] PublicKeyDer { get; }

    public byte[] LogId => SHA256.HashData(PublicKeyDer);

    /// <summary>This log as a trusted root's <c>ctlogs</c> entry.</summary>
    public TrustedLog Describe() => new("https://ct.test", LogId, PublicKeyDer, "PKIX_ECDSA_P256_SHA_256", ValidFrom, null);

    /// <summary>
    /// Issues <paramref name="request"/> twice with the same serial and validity: first without
    /// the SCT list (the precertificate's TBS, which the log signs), then with it appended last,
    /// so that the final TBS without the extension is byte for byte what was signed.
    /// </summary>
    public byte[] IssueWithEmbeddedSct(CertificateRequest request, X509Certificate2 issuer, DateTimeOffset notBefore, DateTimeOffset notAfter, byte[] serial, DateTimeOffset sctTime, bool tamper = false)
    {
        byte[] tbs;
        using (var pre = request.Create(issuer, notBefore, notAfter, serial))
        {
            tbs = Tbs(pre.RawData);
        }

        var entry = new byte[2 + 32 + 3 + tbs.Length];
        BinaryPrimitives.WriteUInt16BigEndian(entry, 1);
        SHA256.HashData(issuer.PublicKey.ExportSubjectPublicKeyInfo(), entry.AsSpan(2, 32));
        WriteUInt24(entry.AsSpan(34), tbs.Length);
        tbs.CopyTo(entry, 37);
        var sct = Sct(entry, sctTime, tamper);

        var list = new byte[2 + 2 + sct.Length];
        BinaryPrimitives.WriteUInt16BigEndian(list, (ushort)(2 + sct.Length));
        BinaryPrimitives.WriteUInt16BigEndian(list.AsSpan(2), (ushort)sct.Length);
        sct.CopyTo(list, 4);
        var inner = new AsnWriter(AsnEncodingRules.DER);
        inner.WriteOctetString(list);
        request.CertificateExtensions.Add(new X509Extension(SctVerifier.SctListOid, inner.Encode(), false));
        try
        {
            using var final = request.Create(issuer, notBefore, notAfter, serial);
            return final.RawData;
        }
        finally
        {
            request.CertificateExtensions.RemoveAt(request.CertificateExtensions.Count - 1);
        }
    }

    /// <summary>A detached SCT over the final certificate, in the RFC 6962 add-chain JSON Fulcio answers.</summary>
    public byte[] DetachedSct(byte[] certificateDer, DateTimeOffset sctTime, bool tamper = false)
    {
        var entry = new byte[2 + 3 + certificateDer.Length];
        WriteUInt24(entry.AsSpan(2), certificateDer.Length);
        certificateDer.CopyTo(entry, 5);
        var sct = Sct(entry, sctTime, tamper);
        var signed = sct.AsSpan(1 + 32 + 8 + 2);
        return System.Text.Encoding.UTF8.GetBytes(new JsonObject
        {
            ["sct_version"] = 0,
            ["id"] = Convert.ToBase64String(LogId),
            ["timestamp"] = sctTime.ToUnixTimeMilliseconds() + (tamper ? 1 : 0),
            ["extensions"] = "",
            ["signature"] = Convert.ToBase64String(signed),
        }.ToJsonString());
    }

    public void Dispose() => _key.Dispose();

    /// <summary>A serialized v1 SCT (no extensions) signed over <paramref name="entry"/>.</summary>
    private byte[] Sct(byte[] entry, DateTimeOffset time, bool tamper)
    {
        var timestamp = (ulong)time.ToUnixTimeMilliseconds();
        var data = new byte[1 + 1 + 8 + entry.Length + 2];
        BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(2), timestamp);
        entry.CopyTo(data, 10);
        var signature = _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        if (tamper)
        {
            // Signed, then the timestamp changed: the SCT no longer matches its signature.
            timestamp++;
        }

        var sct = new byte[1 + 32 + 8 + 2 + 1 + 1 + 2 + signature.Length];
        LogId.CopyTo(sct, 1);
        BinaryPrimitives.WriteUInt64BigEndian(sct.AsSpan(33), timestamp);
        sct[43] = 4; // SHA-256
        sct[44] = 3; // ECDSA
        BinaryPrimitives.WriteUInt16BigEndian(sct.AsSpan(45), (ushort)signature.Length);
        signature.CopyTo(sct, 47);
        return sct;
    }

    private static byte[] Tbs(byte[] certificate) =>
        new AsnReader(certificate, AsnEncodingRules.DER).ReadSequence().ReadEncodedValue().ToArray();

    private static void WriteUInt24(Span<byte> destination, int value)
    {
        destination[0] = (byte)(value >> 16);
        destination[1] = (byte)(value >> 8);
        destination[2] = (byte)value;
    }
}
