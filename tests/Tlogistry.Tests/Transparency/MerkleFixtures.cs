using System.Text.Json;

namespace Tlogistry.Tests.Transparency;

/// <summary>Reads the JSON vectors under shared/fixtures/merkle.</summary>
internal static class MerkleFixtures
{
    public static JsonElement Load(params string[] parts)
    {
        var path = Fixtures.Require(["merkle", .. parts]);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    }

    public static byte[] Hex(JsonElement e) => Convert.FromHexString(e.GetString()!);

    public static byte[] Base64(JsonElement e) => Convert.FromBase64String(e.GetString()!);

    public static List<byte[]> HexList(JsonElement e) => [.. e.EnumerateArray().Select(Hex)];

    // Go writes a nil []([]byte) as null; treat it as an empty proof.
    public static List<byte[]> Base64List(JsonElement e) =>
        e.ValueKind == JsonValueKind.Null ? [] : [.. e.EnumerateArray().Select(Base64)];

    // Go probes use uint64; values above long.MaxValue (e.g. 0 - 1) wrap to negatives, which
    // the verifier must refuse just as Go refuses the huge unsigned value.
    public static long Size(JsonElement e) => unchecked((long)e.GetUInt64());

    /// <summary>The 8-leaf RFC 6962 reference tree, built from the fixture's leaf inputs.</summary>
    public static Merkle8 ReferenceTree()
    {
        var root = Load("rfc6962-reference-tree.json");
        var tree = new Tlogistry.Transparency.Merkle.MerkleTree();
        foreach (var leaf in root.GetProperty("leaves").EnumerateArray())
        {
            tree.Append(Tlogistry.Transparency.Merkle.Rfc6962.LeafHash(Hex(leaf)));
        }

        return new Merkle8(root, tree);
    }

    internal sealed record Merkle8(JsonElement Json, Tlogistry.Transparency.Merkle.MerkleTree Tree);
}
