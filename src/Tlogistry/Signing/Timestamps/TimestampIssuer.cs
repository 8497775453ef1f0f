using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace Tlogistry.Signing.Timestamps;

/// <summary>
/// An RFC 3161 timestamp authority's signing side, without I/O: answers a DER TimeStampReq
/// with a DER TimeStampResp whose token (CMS SignedData over a TSTInfo) states the time,
/// echoes the imprint and nonce, names its certificate by an ESSCertIDv2 signed attribute and
/// embeds it when the request asks. Requests for other hashes than SHA-2 are refused (status 2).
/// </summary>
internal sealed class TimestampIssuer
{
    /// <summary>The policy Sigstore's timestamp authority states (its private arc).</summary>
    public const string PolicyOid = "1.3.6.1.4.1.57264.2";

    private const string TstInfoOid = "1.2.840.113549.1.9.16.1.4";
    private const string SigningCertificateV2Oid = "1.2.840.113549.1.9.16.2.47";

    private readonly X509Certificate2 certificate;
    private readonly ECDsa key;

    /// <param name="certificate">The TSA certificate (critical timeStamping usage); its key is <paramref name="key"/>.</param>
    public TimestampIssuer(X509Certificate2 certificate, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(key);
        this.certificate = certificate;
        this.key = key;
    }

    /// <summary>The DER TimeStampResp for <paramref name="request"/> at <paramref name="now"/>; a request that cannot be read is answered with a rejection.</summary>
    public byte[] Answer(ReadOnlyMemory<byte> request, DateTimeOffset now)
    {
        if (!Rfc3161TimestampRequest.TryDecode(request, out var parsed, out var used) || used != request.Length
            || parsed.HashAlgorithmId.Value is not ("2.16.840.1.101.3.4.2.1" or "2.16.840.1.101.3.4.2.2" or "2.16.840.1.101.3.4.2.3"))
        {
            return Rejection();
        }

        var hash = parsed.GetMessageHash();
        if (hash.Length != SignedTimestampSize(parsed.HashAlgorithmId.Value))
        {
            return Rejection();
        }

        // DER wants a positive serial in its fewest bytes: a first byte of 01xxxxxx is neither
        // negative nor a redundant leading zero (which the encoder refuses), whatever follows.
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x3f) | 0x40);
        var info = new Rfc3161TimestampTokenInfo(
            new Oid(PolicyOid),
            parsed.HashAlgorithmId,
            hash,
            serial,
            // Whole seconds: the time as verifiers print and compare it.
            DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()),
            accuracyInMicroseconds: 1_000_000,
            nonce: parsed.GetNonce());
        var cms = new SignedCms(new ContentInfo(new Oid(TstInfoOid), info.Encode()), detached: false);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, certificate, key)
        {
            DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1"),
            IncludeOption = parsed.RequestSignerCertificate ? X509IncludeOption.EndCertOnly : X509IncludeOption.None,
        };
        signer.SignedAttributes.Add(new AsnEncodedData(SigningCertificateV2Oid, SigningCertificateV2()));
        cms.ComputeSignature(signer, silent: true);

        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                w.WriteInteger(BigInteger.Zero);
            }

            w.WriteEncodedValue(cms.Encode());
        }

        return w.Encode();
    }

    private static int SignedTimestampSize(string oid) => oid switch
    {
        "2.16.840.1.101.3.4.2.1" => 32,
        "2.16.840.1.101.3.4.2.2" => 48,
        _ => 64,
    };

    /// <summary>SigningCertificateV2 { certs { ESSCertIDv2 { certHash (SHA-256, the default) } } }.</summary>
    private byte[] SigningCertificateV2()
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                using (w.PushSequence())
                {
                    w.WriteOctetString(SHA256.HashData(certificate.RawData));
                }
            }
        }

        return w.Encode();
    }

    /// <summary>TimeStampResp { status { rejection } }.</summary>
    private static byte[] Rejection()
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                w.WriteInteger(2);
            }
        }

        return w.Encode();
    }
}
