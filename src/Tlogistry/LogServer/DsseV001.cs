using System.Security.Cryptography;
using System.Text.Json;
using System.Text;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.LogServer;

/// <summary>
/// Rekor v1's dsse v0.0.1 (rekor pkg/types/dsse/v0.0.1): the client proposes the envelope
/// JSON as a string and PEM verifiers; the body keeps the envelope's hash, the payload's
/// hash, and each distinct signature (sorted) with the canonical PEM of the key that
/// verified it. Rekor stores no attestation for this type.
/// </summary>
internal static class DsseV001
{
    public static CanonicalEntry Canonicalize(JsonElement spec)
    {
        var proposed = EntryJson.Object(spec, "proposedContent", "spec");
        var envelopeText = EntryJson.String(proposed, "envelope", "spec.proposedContent");
        if (!proposed.TryGetProperty("verifiers", out var verifiers) || verifiers.ValueKind != JsonValueKind.Array || verifiers.GetArrayLength() == 0)
        {
            throw new BadEntryException("spec.proposedContent.verifiers must be a non-empty array of base64 PEM keys");
        }

        var keys = new List<SignerKey>();
        foreach (var v in verifiers.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.String)
            {
                throw new BadEntryException("spec.proposedContent.verifiers[] must be strings");
            }

            keys.Add(SignerKey.FromPem(EntryJson.Base64(v.GetString()!, "spec.proposedContent.verifiers[]")));
        }

        using var doc = EntryJson.Parse(Encoding.UTF8.GetBytes(envelopeText));
        var env = doc.RootElement;
        var payloadType = EntryJson.String(env, "payloadType", "envelope");
        var payload = DecodeLenient(EntryJson.String(env, "payload", "envelope"), "envelope.payload");
        if (!env.TryGetProperty("signatures", out var sigs) || sigs.ValueKind != JsonValueKind.Array || sigs.GetArrayLength() == 0)
        {
            throw new BadEntryException("DSSE envelope must contain 1 or more signatures");
        }

        var pending = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var s in sigs.EnumerateArray())
        {
            var text = EntryJson.String(s, "sig", "envelope.signatures[]");
            pending[text] = DecodeLenient(text, "envelope.signatures[].sig");
        }

        // As Rekor: every key tried must verify some signature, until all are verified.
        var pae = Dsse.Pae(payloadType, payload);
        var keyBySig = new SortedDictionary<string, SignerKey>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (pending.Count == 0)
            {
                break;
            }

            var accepted = pending.Where(p => key.VerifyMessage(pae, p.Value)).Select(p => p.Key).ToList();
            if (accepted.Count == 0)
            {
                throw new BadEntryException("could not verify envelope: no signature verifies with a given verifier");
            }

            foreach (var sig in accepted)
            {
                pending.Remove(sig);
                keyBySig[sig] = key;
            }
        }

        if (pending.Count > 0)
        {
            throw new BadEntryException("all signatures must have a key that verifies it");
        }

        var payloadHash = Convert.ToHexStringLower(SHA256.HashData(payload));
        var envelopeHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(envelopeText)));
        var body = DsseV001Body.Build(Encoding.UTF8.GetBytes(envelopeText), payload, keyBySig.Select(p => (p.Key, p.Value.CanonicalPem)));

        var indexKeys = keyBySig.Values.Select(k => k.IndexKey)
            .Append("sha256:" + payloadHash).Append("sha256:" + envelopeHash)
            .Concat(InTotoSubjects.IndexKeys(payloadType, payload)).Distinct().ToList();
        return new CanonicalEntry("dsse", "0.0.1", body, indexKeys, null, [.. keyBySig.Values]);
    }

    // Go's DSSE library accepts standard or URL-safe base64.
    private static byte[] DecodeLenient(string text, string what)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            try
            {
                return Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/').PadRight((text.Length + 3) / 4 * 4, '='));
            }
            catch (FormatException e)
            {
                throw new BadEntryException(what + " is not base64", e);
            }
        }
    }
}
