using System.Text.Json.Nodes;
using System.Text.Json;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.LogServer;

/// <summary>
/// Rekor v2's hashedrekord v0.0.2: a signature over a SHA-256 digest the client computed.
/// The stored body is the JCS form of the protobuf-JSON Entry, as rekor-tiles writes it
/// (pkg/types/hashedrekord). Only ECDSA P-256 with SHA-256 is accepted.
/// </summary>
internal static class HashedRekordV002
{
    public const string KeyDetails = "PKIX_ECDSA_P256_SHA_256";

    public static CanonicalEntry Canonicalize(JsonElement request)
    {
        const string where = "hashedRekordRequestV002";
        var digest = EntryJson.Base64(request, "digest", where);
        if (digest.Length != 32)
        {
            throw new BadEntryException($"digest length ({digest.Length}) does not match expected size (32) for SHA-256");
        }

        var signature = EntryJson.Object(request, "signature", where);
        var content = EntryJson.Base64(signature, "content", where + ".signature");
        var (key, isCertificate, raw) = Verifier(EntryJson.Object(signature, "verifier", where + ".signature"), where + ".signature.verifier");
        if (!key.VerifyDigest(digest, content))
        {
            throw new BadEntryException("verifying signature: the signature does not verify over the digest with the given key");
        }

        var body = Body(digest, content, isCertificate ? "x509Certificate" : "publicKey", raw);
        return new CanonicalEntry("hashedrekord", "0.0.2", body, ["sha256:" + Convert.ToHexStringLower(digest), key.IndexKey], null, [key]);
    }

    /// <summary>
    /// A Rekor v2 Verifier: the key or certificate with its keyDetails, which must be
    /// <see cref="KeyDetails"/> naming an ECDSA P-256 key.
    /// </summary>
    public static (SignerKey Key, bool IsCertificate, byte[] Raw) Verifier(JsonElement verifier, string where)
    {
        var keyDetails = EntryJson.String(verifier, "keyDetails", where);
        if (keyDetails != KeyDetails)
        {
            throw new BadEntryException($"unsupported keyDetails {keyDetails}; this log accepts only {KeyDetails}");
        }

        SignerKey key;
        bool isCertificate;
        byte[] raw;
        if (EntryJson.OptionalObject(verifier, "publicKey") is { } pk)
        {
            raw = EntryJson.Base64(pk, "rawBytes", where + ".publicKey");
            key = SignerKey.FromSpki(raw);
            isCertificate = false;
        }
        else if (EntryJson.OptionalObject(verifier, "x509Certificate") is { } cert)
        {
            raw = EntryJson.Base64(cert, "rawBytes", where + ".x509Certificate");
            key = SignerKey.FromCertificateDer(raw);
            isCertificate = true;
        }
        else
        {
            throw new BadEntryException("verifier must contain either a publicKey or an x509Certificate");
        }

        return key.IsEcdsaP256 ? (key, isCertificate, raw)
            : throw new BadEntryException($"the verifier key is not ECDSA P-256, as keyDetails {KeyDetails} requires");
    }

    /// <summary>The leaf for these values; also what a verifier rebuilds from a bundle.</summary>
    public static byte[] Body(byte[] digest, byte[] signature, string verifierField, byte[] verifierRaw) =>
        Jcs.Serialize(new JsonObject
        {
            ["apiVersion"] = "0.0.2",
            ["kind"] = "hashedrekord",
            ["spec"] = new JsonObject
            {
                ["hashedRekordV002"] = new JsonObject
                {
                    ["data"] = new JsonObject { ["algorithm"] = "SHA2_256", ["digest"] = Convert.ToBase64String(digest) },
                    ["signature"] = new JsonObject
                    {
                        ["content"] = Convert.ToBase64String(signature),
                        ["verifier"] = new JsonObject
                        {
                            ["keyDetails"] = KeyDetails,
                            [verifierField] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(verifierRaw) },
                        },
                    },
                },
            },
        });
}
