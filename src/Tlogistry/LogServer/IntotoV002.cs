using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.LogServer;

/// <summary>
/// Rekor v1's intoto v0.0.2 (rekor pkg/types/intoto/v0.0.2). On the wire the envelope's
/// payload and each sig are base64 of the DSSE envelope's own base64 strings, and each
/// publicKey is base64 of a PEM key or certificate. The body keeps the signatures and keys
/// as given, drops the payload, and adds its SHA-256. The envelope hash is the client's;
/// when absent it is computed as sigstore-js does (SHA-256 of the JCS envelope with each
/// signature's PEM key), since Rekor itself cannot compute it.
/// </summary>
internal static class IntotoV002
{
    public static CanonicalEntry Canonicalize(JsonElement spec)
    {
        var content = EntryJson.Object(spec, "content", "spec");
        var envelope = EntryJson.Object(content, "envelope", "spec.content");
        var payloadType = EntryJson.String(envelope, "payloadType", "spec.content.envelope");
        if (payloadType.Length == 0)
        {
            throw new BadEntryException("spec.content.envelope.payloadType is empty");
        }

        var payloadText = Encoding.UTF8.GetString(EntryJson.Base64(envelope, "payload", "spec.content.envelope"));
        var statement = EntryJson.Base64(payloadText, "the envelope payload (base64 inside base64)");
        if (!envelope.TryGetProperty("signatures", out var sigs) || sigs.ValueKind != JsonValueKind.Array || sigs.GetArrayLength() == 0)
        {
            throw new BadEntryException("spec.content.envelope.signatures must be a non-empty array");
        }

        var signatures = new List<(string KeyId, string SigText, byte[] Sig, byte[] Pem, SignerKey Key)>();
        foreach (var s in sigs.EnumerateArray())
        {
            const string where = "spec.content.envelope.signatures[]";
            var keyId = EntryJson.OptionalString(s, "keyid", where) ?? "";
            var sigText = Encoding.UTF8.GetString(EntryJson.Base64(s, "sig", where));
            var pem = EntryJson.Base64(s, "publicKey", where);
            signatures.Add((keyId, sigText, EntryJson.Base64(sigText, "a signature (base64 inside base64)"), pem, SignerKey.FromPem(pem)));
        }

        var pae = Dsse.Pae(payloadType, statement);
        foreach (var s in signatures)
        {
            // Each signature with its own key, so a body never pairs a key with someone else's signature.
            if (!s.Key.VerifyMessage(pae, s.Sig))
            {
                throw new BadEntryException("could not verify envelope: a signature does not verify with its public key");
            }
        }

        var hash = EnvelopeHash(content, payloadText, payloadType, signatures.Select(s => (s.KeyId, s.SigText, s.Pem)));
        var payloadHash = Convert.ToHexStringLower(SHA256.HashData(statement));
        var bodySignatures = new JsonArray();
        foreach (var s in signatures)
        {
            var item = new JsonObject();
            if (s.KeyId.Length > 0)
            {
                item["keyid"] = s.KeyId;
            }

            item["publicKey"] = Convert.ToBase64String(s.Pem);
            item["sig"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(s.SigText));
            bodySignatures.Add(item);
        }

        var body = Jcs.Serialize(new JsonObject
        {
            ["apiVersion"] = "0.0.2",
            ["kind"] = "intoto",
            ["spec"] = new JsonObject
            {
                ["content"] = new JsonObject
                {
                    ["envelope"] = new JsonObject { ["payloadType"] = payloadType, ["signatures"] = bodySignatures },
                    ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = hash },
                    ["payloadHash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = payloadHash },
                },
            },
        });

        var keys = signatures.SelectMany(s => s.Key.IndexKeys).Append("sha256:" + payloadHash).Concat(InTotoSubjects.IndexKeys(payloadType, statement)).Distinct().ToList();
        // Like Rekor, the attestation kept is the statement; the body holds the signatures,
        // so a reader rebuilds the envelope from the two.
        return new CanonicalEntry("intoto", "0.0.2", body, keys, statement, [.. signatures.Select(s => s.Key)]);
    }

    private static string EnvelopeHash(JsonElement content, string payloadText, string payloadType, IEnumerable<(string KeyId, string SigText, byte[] Pem)> signatures)
    {
        if (EntryJson.OptionalObject(content, "hash") is { } given)
        {
            var algorithm = EntryJson.String(given, "algorithm", "spec.content.hash");
            var value = EntryJson.String(given, "value", "spec.content.hash");
            if (algorithm != "sha256" || value.Length != 64 || !value.All(char.IsAsciiHexDigit))
            {
                throw new BadEntryException("spec.content.hash must be {\"algorithm\":\"sha256\",\"value\":<64 hex digits>}");
            }

            return value;
        }

        var array = new JsonArray();
        foreach (var (keyId, sigText, pem) in signatures)
        {
            var item = new JsonObject { ["publicKey"] = Encoding.UTF8.GetString(pem), ["sig"] = sigText };
            if (keyId.Length > 0)
            {
                item["keyid"] = keyId;
            }

            array.Add(item);
        }

        var envelope = new JsonObject { ["payload"] = payloadText, ["payloadType"] = payloadType, ["signatures"] = array };
        return Convert.ToHexStringLower(SHA256.HashData(Jcs.Serialize(envelope)));
    }
}
