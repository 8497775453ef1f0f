using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.LogServer;

/// <summary>
/// Rekor v1's intoto v0.0.1 (rekor pkg/types/intoto/v0.0.1), the type older clients wrote:
/// the proposed entry carries the whole envelope as a JSON string and one base64 PEM key.
/// The body keeps only the key, the envelope's SHA-256 and the payload's; no signature
/// survives, so a reader relies on the log having checked it (the SET says it admitted it).
/// </summary>
internal static class IntotoV001
{
    public static CanonicalEntry Canonicalize(System.Text.Json.JsonElement spec)
    {
        var content = EntryJson.Object(spec, "content", "spec");
        var envelopeText = EntryJson.String(content, "envelope", "spec.content");
        var pem = EntryJson.Base64(spec, "publicKey", "spec");
        var key = SignerKey.FromPem(pem);
        DsseEnvelope envelope;
        try
        {
            envelope = DsseEnvelope.Parse(Encoding.UTF8.GetBytes(envelopeText));
        }
        catch (FormatException e)
        {
            throw new BadEntryException("spec.content.envelope is not a DSSE envelope: " + e.Message);
        }

        var pae = envelope.Pae();
        if (envelope.Signatures.Count == 0 || !envelope.Signatures.Any(s => key.VerifyMessage(pae, s.Signature)))
        {
            throw new BadEntryException("could not verify envelope: no signature verifies with spec.publicKey");
        }

        var body = Jcs.Serialize(new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "intoto",
            ["spec"] = new JsonObject
            {
                ["content"] = new JsonObject
                {
                    ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(envelopeText))) },
                    ["payloadHash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(SHA256.HashData(envelope.Payload)) },
                },
                ["publicKey"] = Convert.ToBase64String(pem),
            },
        });

        var payloadHash = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(envelope.Payload));
        var keys = new[] { key.IndexKey, payloadHash }.Concat(InTotoSubjects.IndexKeys(envelope.PayloadType, envelope.Payload)).Distinct().ToList();
        return new CanonicalEntry("intoto", "0.0.1", body, keys, envelope.Payload, [key]);
    }
}
