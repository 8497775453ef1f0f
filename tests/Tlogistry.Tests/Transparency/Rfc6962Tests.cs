using System.Text;
using Tlogistry.Transparency.Merkle;
using static Tlogistry.Tests.Transparency.MerkleFixtures;

namespace Tlogistry.Tests.Transparency;

public sealed class Rfc6962Tests
{
    [Fact]
    public void HasherVectorsMatch()
    {
        var json = Load("rfc6962-reference-tree.json");
        var count = 0;
        foreach (var v in json.GetProperty("hasher_vectors").EnumerateArray())
        {
            var expected = Hex(v.GetProperty("expected"));
            var actual = v.GetProperty("kind").GetString() switch
            {
                "empty_root" => Rfc6962.EmptyRoot(),
                "leaf" => Rfc6962.LeafHash(Hex(v.GetProperty("leaf_hex"))),
                "node" => Rfc6962.NodeHash(Hex(v.GetProperty("left_hex")), Hex(v.GetProperty("right_hex"))),
                var kind => throw new InvalidOperationException($"unknown hasher vector kind {kind}"),
            };
            Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(actual));
            count++;
        }

        Assert.Equal(4, count);
        Assert.Equal(Hex(json.GetProperty("empty_root")), Rfc6962.EmptyRoot());
    }

    [Fact]
    public void LeafHashesMatchReference()
    {
        var json = Load("rfc6962-reference-tree.json");
        var leaves = json.GetProperty("leaves").EnumerateArray().Select(Hex).ToList();
        var hashes = HexList(json.GetProperty("leaf_hashes"));
        Assert.Equal(8, leaves.Count);
        for (var i = 0; i < leaves.Count; i++)
        {
            Assert.Equal(hashes[i], Rfc6962.LeafHash(leaves[i]));
        }
    }

    [Fact]
    public void LargeInputsTakeTheStreamingPathAndAgree()
    {
        // Above the stack threshold the hash is streamed; it must equal a one-shot SHA-256.
        var leaf = Encoding.ASCII.GetBytes(new string('a', 5000));
        var expected = System.Security.Cryptography.SHA256.HashData([0x00, .. leaf]);
        Assert.Equal(expected, Rfc6962.LeafHash(leaf));

        var left = new byte[400];
        var right = new byte[300];
        left[0] = 7;
        right[^1] = 9;
        Assert.Equal(System.Security.Cryptography.SHA256.HashData([0x01, .. left, .. right]), Rfc6962.NodeHash(left, right));
    }

    [Fact]
    public void DomainSeparationDistinguishesLeafFromNode()
    {
        var a = new byte[32];
        Assert.NotEqual(Rfc6962.LeafHash([.. a, .. a]), Rfc6962.NodeHash(a, a));
        Assert.Equal(Rfc6962.HashSize, Rfc6962.EmptyRoot().Length);
    }
}
