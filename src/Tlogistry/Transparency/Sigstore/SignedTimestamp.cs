using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// RFC 3161 timestamps as Sigstore bundles carry them (<c>signedTimestamp</c>: a DER
/// TimeStampResp, or the bare token some writers keep), verified offline against the trusted
/// root's timestamp authorities: the token's imprint is the hash of exactly the signature it
/// dates, its signature verifies with the certificate it names, and that certificate chains,
/// at the token's time, to an authority of the root whose window holds that time, with the
/// timeStamping usage (critical and alone); when the authority lists its signing certificate,
/// that certificate is the signer. The nonce is the requester's business and is not checked here.
/// </summary>
internal static class SignedTimestamp
{
    /// <summary>id-kp-timeStamping.</summary>
    public const string TimeStampingOid = "1.3.6.1.5.5.7.3.8";

    /// <summary>The time a verified timestamp states; throws <see cref="FormatException"/> or <see cref="CryptographicException"/> with the reason.</summary>
    public static DateTimeOffset Verify(byte[] signedTimestamp, ReadOnlySpan<byte> signature, IReadOnlyList<CertificateAuthority> authorities)
    {
        ArgumentNullException.ThrowIfNull(signedTimestamp);
        ArgumentNullException.ThrowIfNull(authorities);
        var token = Decode(signedTimestamp);
        var info = token.TokenInfo;
        var hash = Hash(info.HashAlgorithmId, signature);
        if (!CryptographicOperations.FixedTimeEquals(hash, info.GetMessageHash().Span))
        {
            throw new FormatException("its message imprint is not the hash of this signature");
        }

        if (authorities.Count == 0)
        {
            throw new FormatException("the trusted root names no timestamp authorities");
        }

        var reasons = new List<string>();
        foreach (var tsa in authorities)
        {
            var name = string.IsNullOrEmpty(tsa.CommonName) ? tsa.Uri : $"{tsa.CommonName} ({tsa.Uri})";
            if (Check(token, hash, tsa) is { } failure)
            {
                reasons.Add($"{name}: {failure}");
                continue;
            }

            return info.Timestamp;
        }

        throw new FormatException("no trusted timestamp authority issued it: " + string.Join("; ", reasons));
    }

    /// <summary>The token inside a TimeStampResp (whose status must be granted), or the bytes themselves when they are a token.</summary>
    public static Rfc3161TimestampToken Decode(byte[] der)
    {
        ArgumentNullException.ThrowIfNull(der);
        try
        {
            var token = der;
            var outer = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
            if (outer.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }
                var status = outer.ReadSequence();
                var code = status.ReadInteger();
                if (code > 1)
                {
                    throw new FormatException($"the authority refused the request (status {code.ToString(CultureInfo.InvariantCulture)})");
                }

                if (!outer.HasData)
                {
                    throw new FormatException("the response holds no token");
                }

                token = outer.ReadEncodedValue().ToArray();
            }

            return Rfc3161TimestampToken.TryDecode(token, out var decoded, out var used) && used == token.Length
                ? decoded!
                : throw new FormatException("it is not an RFC 3161 timestamp token");
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            throw new FormatException("it is not DER: " + e.Message, e);
        }
    }

    public static byte[] Hash(Oid algorithm, ReadOnlySpan<byte> data) => algorithm.Value switch
    {
        "2.16.840.1.101.3.4.2.1" => SHA256.HashData(data),
        "2.16.840.1.101.3.4.2.2" => SHA384.HashData(data),
        "2.16.840.1.101.3.4.2.3" => SHA512.HashData(data),
        var other => throw new FormatException($"its imprint uses hash algorithm {other}, not SHA-256, SHA-384 or SHA-512"),
    };

    /// <summary>Null when <paramref name="tsa"/> issued the token, else why not.</summary>
    private static string? Check(Rfc3161TimestampToken token, byte[] hash, CertificateAuthority tsa)
    {
        var at = token.TokenInfo.Timestamp;
        if (tsa.Certificates.Count == 0)
        {
            return "no certificates";
        }

        if (at < tsa.ValidFrom || (tsa.ValidUntil is { } until && at > until))
        {
            return $"{Time(at)} is outside its validity ({Time(tsa.ValidFrom)} to {(tsa.ValidUntil is { } u ? Time(u) : "open")})";
        }

        var loaded = new List<X509Certificate2>();
        try
        {
            loaded.AddRange(tsa.Certificates.Select(X509CertificateLoader.LoadCertificate));
            var candidates = new X509Certificate2Collection(loaded.ToArray());
            if (!token.VerifySignatureForHash(hash, token.TokenInfo.HashAlgorithmId, out var signer, candidates) || signer is null)
            {
                return "the token's signature does not verify with the certificate it names";
            }

            // An authority listing more than its root names its signing certificate first, as
            // sigstore-go reads it: only that certificate may sign, not any other timestamping
            // certificate its CA issued. An authority listing a root alone accepts any
            // timestamping certificate that chains to it.
            if (loaded.Count > 1 && !signer.RawData.AsSpan().SequenceEqual(loaded[0].RawData))
            {
                return $"the token is signed by {signer.Subject}, not by the authority's timestamping certificate {loaded[0].Subject}";
            }

            // The signer may be the token's own embedded certificate: the token keeps it, so it is not disposed here.
            using var chain = AuthorityChain.For(loaded, at);
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(TimeStampingOid));
            if (!chain.Build(signer))
            {
                var statuses = string.Join(", ", chain.ChainStatus.Where(s => s.Status != X509ChainStatusFlags.NoError).Select(s => s.Status.ToString()).Distinct());
                return "the signing certificate does not chain to it at the token's time: " + (statuses.Length == 0 ? "the chain does not build" : statuses);
            }

            // RFC 3161 section 2.3: the TSA certificate's extended key usage is critical and names timeStamping alone.
            return signer.Extensions["2.5.29.37"] is X509EnhancedKeyUsageExtension { Critical: true } eku
                && eku.EnhancedKeyUsages.Count == 1 && eku.EnhancedKeyUsages[0].Value == TimeStampingOid
                ? null
                : "the signing certificate's extended key usage is not a critical timeStamping alone";
        }
        catch (CryptographicException e)
        {
            return "unusable certificate: " + e.Message;
        }
        finally
        {
            foreach (var c in loaded)
            {
                c.Dispose();
            }
        }
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("u", CultureInfo.InvariantCulture);
}
