using System.Text;
using Tlogistry.Oci;

namespace Tlogistry.Tests.Oci;

public sealed class DigestTests
{
    private const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static readonly string Hex64 = string.Concat(Enumerable.Repeat("0123456789abcdef", 4));
    private static readonly string Hex128 = Hex64 + Hex64;

    /// <summary>input, valid, fragment the DIGEST_INVALID message must contain (when invalid).</summary>
    public static TheoryData<string, bool, string?> Cases => new()
    {
        { "sha256:" + Hex64, true, null },
        { "sha256:" + EmptySha256, true, null },
        { "sha512:" + Hex128, true, null },
        { "", false, "empty" },
        { "sha256", false, "expected <algorithm>:<encoded>" },
        { "sha256:", false, "expected <algorithm>:<encoded>" },
        { ":" + Hex64, false, "expected <algorithm>:<encoded>" },
        { "sha256:" + Hex64.ToUpperInvariant(), false, "64 lowercase hex" },
        { "sha256:" + Hex64[..63], false, "64 lowercase hex" },
        { "sha256:" + Hex64 + "0", false, "64 lowercase hex" },
        { "sha256:" + new string('g', 64), false, "64 lowercase hex" },
        { "sha256:" + Hex128, false, "64 lowercase hex" },
        { "sha512:" + Hex64, false, "128 lowercase hex" },
        { "SHA256:" + Hex64, false, "expected <algorithm>:<encoded>" },
        { "sha256:" + Hex64 + "\n", false, "expected <algorithm>:<encoded>" },
        { " sha256:" + Hex64, false, "expected <algorithm>:<encoded>" },
        { "sha256:abc:def", false, "expected <algorithm>:<encoded>" },
        { "sha256:ab/cd", false, "expected <algorithm>:<encoded>" },
        { "sha256-:" + Hex64, false, "expected <algorithm>:<encoded>" },
        { "md5:d41d8cd98f00b204e9800998ecf8427e", false, "unsupported digest algorithm" },
        { "sha384:" + Hex64 + Hex64[..32], false, "unsupported digest algorithm" },
        { "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", false, "unsupported digest algorithm" },
        { "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8", false, "unsupported digest algorithm" },
        { "sha256:" + new string('a', 2000), false, "far longer" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ParsesOrRejects(string input, bool valid, string? message)
    {
        var ok = Digest.TryParse(input, out var digest, out var error);
        Assert.Equal(valid, ok);
        if (valid)
        {
            Assert.Null(error);
            Assert.Equal(input, digest.ToString());
            Assert.Equal(input[..input.IndexOf(':', StringComparison.Ordinal)], digest.Algorithm);
        }
        else
        {
            Assert.NotNull(error);
            Assert.Equal(OciErrorCodes.DigestInvalid, error.Code);
            Assert.Contains(message!, error.Message, StringComparison.Ordinal);
            Assert.Equal(default, digest);
        }
    }

    [Fact]
    public void NullIsRejected()
    {
        Assert.False(Digest.TryParse(null, out _, out var error));
        Assert.Equal(OciErrorCodes.DigestInvalid, error.Code);
    }

    [Fact]
    public void Sha256OfKnownInputs()
    {
        Assert.Equal("sha256:" + EmptySha256, Digest.Sha256([]).ToString());
        Assert.Equal(
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            Digest.Sha256(Encoding.ASCII.GetBytes("abc")).ToString());
    }

    [Fact]
    public void MatchesChecksContent()
    {
        var content = Encoding.ASCII.GetBytes("abc");
        var digest = Digest.Sha256(content);
        Assert.True(digest.Matches(content));
        Assert.False(digest.Matches(Encoding.ASCII.GetBytes("abd")));

        Assert.True(Digest.TryParse(
            "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            out var sha512, out _));
        Assert.True(sha512.Matches(content));
        Assert.False(default(Digest).Matches(content));
    }

    [Fact]
    public void ParsedEqualsComputed()
    {
        Assert.True(Digest.TryParse("sha256:" + EmptySha256, out var parsed, out _));
        Assert.Equal(Digest.Sha256([]), parsed);
    }
}
