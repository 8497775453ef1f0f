using System.Security.Cryptography;
using System.Text.Json;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.LogServer;

/// <summary>
/// Rekor v2's <c>dsseRequestV002</c> (the protobuf-JSON DSSERequestV002 of rekor-tiles'
/// API): an envelope with raw-byte payload and signatures, and up to ten distinct verifiers.
/// Every verifier must verify some signature over the PAE and every signature must be
/// verified, as rekor-tiles checked; the body is the dsse 0.0.2 entry. Only ECDSA P-256
/// with SHA-256 is accepted, as for hashedrekord.
/// </summary>
internal static class DsseV002
{
    private const int MaxVerifiers = 10;
    private const int MaxSignatures = 10;
    private const string Where = "dsseRequestV002";

    public static CanonicalEntry Canonicalize(JsonElement request)
    {
        var envelope = EntryJson.Object(request, "envelope", Where);
        var payloadType = EntryJson.String(envelope, "payloadType", Where + ".envelope");
        var payload = EntryJson.Base64(envelope, "payload", Where + ".envelope");
        var signatures = Signatures(envelope);
        var verifiers = Verifiers(request);

        var pae = Dsse.Pae(payloadType, payload);
        var pending = new List<byte[]>(signatures);
        var verified = new List<DsseV002Signature>();
        var signers = new List<SignerKey>();
        foreach (var (key, isCertificate, raw) in verifiers)
        {
            // Every verifier is checked against every signature, even once all are verified: a
            // verifier that verifies nothing would be logged as a signer it is not.
            if (!signatures.Any(s => key.VerifyMessage(pae, s)))
            {
                throw new BadEntryException("could not verify envelope: no signature verifies over the PAE with a given verifier");
            }

            signers.Add(key);
            foreach (var sig in pending.Where(s => key.VerifyMessage(pae, s)).ToList())
            {
                pending.Remove(sig);
                verified.Add(new DsseV002Signature(sig, isCertificate, raw, HashedRekordV002.KeyDetails));
            }
        }

        if (pending.Count > 0)
        {
            throw new BadEntryException("all signatures must have a key that verifies it");
        }

        var body = DsseV002Body.Build(payload, verified);
        var indexKeys = signers.Select(k => k.IndexKey)
            .Append("sha256:" + Convert.ToHexStringLower(SHA256.HashData(payload)))
            .Concat(InTotoSubjects.IndexKeys(payloadType, payload)).Distinct().ToList();
        return new CanonicalEntry(DsseV002Body.Kind, DsseV002Body.Version, body, indexKeys, null, signers);
    }

    private static List<byte[]> Signatures(JsonElement envelope)
    {
        if (!envelope.TryGetProperty("signatures", out var sigs) || sigs.ValueKind != JsonValueKind.Array || sigs.GetArrayLength() == 0)
        {
            throw new BadEntryException("envelope missing signatures");
        }

        if (sigs.GetArrayLength() > MaxSignatures)
        {
            throw new BadEntryException($"too many signatures: {sigs.GetArrayLength()}, max allowed: {MaxSignatures}");
        }

        var list = new List<byte[]>();
        foreach (var s in sigs.EnumerateArray())
        {
            var sig = EntryJson.Base64(s, "sig", Where + ".envelope.signatures[]");
            if (!list.Exists(l => l.AsSpan().SequenceEqual(sig)))
            {
                list.Add(sig);
            }
        }

        return list;
    }

    private static List<(SignerKey Key, bool IsCertificate, byte[] Raw)> Verifiers(JsonElement request)
    {
        if (!request.TryGetProperty("verifiers", out var array) || array.ValueKind != JsonValueKind.Array || array.GetArrayLength() == 0)
        {
            throw new BadEntryException("missing verifiers");
        }

        if (array.GetArrayLength() > MaxVerifiers)
        {
            throw new BadEntryException($"too many verifiers: {array.GetArrayLength()}, max allowed: {MaxVerifiers}");
        }

        var list = new List<(SignerKey, bool, byte[])>();
        foreach (var v in array.EnumerateArray())
        {
            var (key, isCertificate, raw) = HashedRekordV002.Verifier(v, Where + ".verifiers[]");
            if (list.Exists(l => l.Item3.AsSpan().SequenceEqual(raw)))
            {
                throw new BadEntryException("duplicate verifier");
            }

            list.Add((key, isCertificate, raw));
        }

        return list;
    }
}
