using Tlogistry.Oci;

namespace Tlogistry.Tests.Oci;

public sealed class TagTests
{
    public static TheoryData<string, bool> Cases => new()
    {
        { "latest", true },
        { "3.16.0", true },
        { "v1", true },
        { "_", true },
        { "A", true },
        { "_x", true },
        { "0", true },
        { "a-b_c.d", true },
        { "V1.2.3-RC1_build.7", true },
        { new string('a', 128), true },
        { "", false },
        { ".x", false },
        { "-x", false },
        { new string('a', 129), false },
        { "a:b", false },
        { "a/b", false },
        { "a b", false },
        { "a\n", false },
        { "ü", false },
        { "a@b", false },
        { "a+b", false },
        { "a%2Fb", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validates(string tag, bool valid)
    {
        Assert.Equal(valid, Tag.IsValid(tag));
        Assert.Equal(valid, Tag.TryValidate(tag, out var error));
        if (valid)
        {
            Assert.Null(error);
        }
        else
        {
            Assert.NotNull(error);
            Assert.Equal(OciErrorCodes.TagInvalid, error.Code);
            Assert.StartsWith("invalid tag", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void NullIsInvalid()
    {
        Assert.False(Tag.IsValid(null));
        Assert.False(Tag.TryValidate(null, out var error));
        Assert.Contains("empty", error.Message, StringComparison.Ordinal);
    }
}
