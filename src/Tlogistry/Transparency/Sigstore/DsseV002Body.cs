using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Tlogistry.Transparency.Sigstore;

/// <summary>
/// The canonical body of a Rekor v2 <c>dsse</c> 0.0.2 entry, as rekor-tiles wrote it before it
/// took DSSE only as hashedrekord: the SHA-256 of the payload and each signature (sorted by its
/// raw bytes) with the key or certificate that verified it, in RFC 8785 form. <c>log serve</c>
/// writes its dsse 0.0.2 leaves with it, and a reader rebuilds a body from a bundle with it.
/// </summary>
internal static class DsseV002Body
{
    public const string Kind = "dsse";
    public const string Version = "0.0.2";

    /// <param name="payload">The decoded DSSE payload.</param>
    /// <param name="signatures">Each raw signature with its verifier: DER bytes, a certificate or a SubjectPublicKeyInfo, and its keyDetails.</param>
    public static byte[] Build(ReadOnlySpan<byte> payload, IEnumerable<DsseV002Signature> signatures)
    {
        ArgumentNullException.ThrowIfNull(signatures);
        var list = new JsonArray();
        foreach (var s in signatures.OrderBy(s => s.Signature, ByteOrder.Instance))
        {
            list.Add(new JsonObject
            {
                ["content"] = Convert.ToBase64String(s.Signature),
                ["verifier"] = new JsonObject
                {
                    ["keyDetails"] = s.KeyDetails,
                    [s.IsCertificate ? "x509Certificate" : "publicKey"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(s.VerifierDer) },
                },
            });
        }

        return Jcs.Serialize(new JsonObject
        {
            ["apiVersion"] = Version,
            ["kind"] = Kind,
            ["spec"] = new JsonObject
            {
                ["dsseV002"] = new JsonObject
                {
                    ["payloadHash"] = new JsonObject { ["algorithm"] = "SHA2_256", ["digest"] = Convert.ToBase64String(SHA256.HashData(payload)) },
                    ["signatures"] = list,
                },
            },
        });
    }

    /// <summary>Go orders strings by their bytes; signatures are ordered as such strings.</summary>
    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y.AsSpan());
    }
}

/// <summary>One signature of a dsse 0.0.2 body and the verifier that verified it.</summary>
internal sealed record DsseV002Signature(byte[] Signature, bool IsCertificate, byte[] VerifierDer, string KeyDetails);
