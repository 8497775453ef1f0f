using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// The canonical body of a Rekor v1 <c>dsse</c> 0.0.1 entry, as Rekor writes it: the SHA-256
/// of the submitted envelope bytes and of its payload, and each signature (sorted, as the
/// envelope spells it) with the PEM of the key or certificate that verifies it, in RFC 8785
/// form. The embedded log and <c>log serve</c> both write their dsse leaves with it, so every
/// Sigstore client reads them as it reads Rekor's.
/// </summary>
internal static class DsseV001Body
{
    public const string Kind = "dsse";
    public const string Version = "0.0.1";

    /// <param name="envelope">The envelope bytes exactly as submitted (their hash is the envelopeHash).</param>
    /// <param name="payload">The decoded DSSE payload.</param>
    /// <param name="signatures">Each envelope signature as its base64 text, with its verifier's PEM bytes.</param>
    public static byte[] Build(ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> payload, IEnumerable<(string Signature, byte[] VerifierPem)> signatures)
    {
        ArgumentNullException.ThrowIfNull(signatures);
        var list = new JsonArray();
        foreach (var (signature, pem) in signatures.OrderBy(s => s.Signature, StringComparer.Ordinal))
        {
            list.Add(new JsonObject { ["signature"] = signature, ["verifier"] = Convert.ToBase64String(pem) });
        }

        return Jcs.Serialize(new JsonObject
        {
            ["apiVersion"] = Version,
            ["kind"] = Kind,
            ["spec"] = new JsonObject
            {
                ["envelopeHash"] = Hash(envelope),
                ["payloadHash"] = Hash(payload),
                ["signatures"] = list,
            },
        });
    }

    /// <summary>The envelopeHash a body names: SHA-256 of the submitted envelope bytes, or null when the body is not a dsse 0.0.1 one.</summary>
    public static byte[]? EnvelopeHash(ReadOnlySpan<byte> body)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body.ToArray());
            var root = doc.RootElement;
            if (root.GetProperty("kind").GetString() != Kind || root.GetProperty("apiVersion").GetString() != Version)
            {
                return null;
            }

            var hash = root.GetProperty("spec").GetProperty("envelopeHash");
            var value = hash.GetProperty("algorithm").GetString() == "sha256" ? Convert.FromHexString(hash.GetProperty("value").GetString() ?? "") : [];
            return value.Length == SHA256.HashSizeInBytes ? value : null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>PEM as Go's encoder writes it (64-column lines, a final newline): Rekor's canonical verifier text.</summary>
    public static string Pem(string label, byte[] der)
    {
        var b64 = Convert.ToBase64String(der);
        var sb = new StringBuilder().Append("-----BEGIN ").Append(label).Append("-----\n");
        for (var i = 0; i < b64.Length; i += 64)
        {
            sb.Append(b64, i, Math.Min(64, b64.Length - i)).Append('\n');
        }

        return sb.Append("-----END ").Append(label).Append("-----\n").ToString();
    }

    private static JsonObject Hash(ReadOnlySpan<byte> data) =>
        new() { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(SHA256.HashData(data)) };
}
