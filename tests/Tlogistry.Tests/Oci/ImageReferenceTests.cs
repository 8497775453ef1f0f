using Tlogistry.Oci;

namespace Tlogistry.Tests.Oci;

public sealed class ImageReferenceTests
{
    private const string Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static ImageName Name(string input) =>
        ImageNameParser.TryParse(input, out var name, out var error) ? name : throw new InvalidOperationException(error.Message);

    [Theory]
    [InlineData("alpine", "3.16.0", "index.docker.io/library/alpine:3.16.0")]
    [InlineData("docker.io/library/alpine", "latest", "index.docker.io/library/alpine:latest")]
    [InlineData("registry-1.docker.io/bitnami/redis", "7", "index.docker.io/bitnami/redis:7")]
    [InlineData("ghcr.io/org/app", "v1", "ghcr.io/org/app:v1")]
    [InlineData("localhost:5000/foo", "dev", "localhost:5000/foo:dev")]
    [InlineData("alpine", "sha256:" + Hex, "index.docker.io/library/alpine@sha256:" + Hex)]
    [InlineData("ghcr.io/org/app", "sha256:" + Hex, "ghcr.io/org/app@sha256:" + Hex)]
    public void Canonical(string name, string reference, string canonical)
    {
        Assert.True(ImageReference.TryParse(Name(name), reference, out var result, out var error), error?.Message);
        Assert.Equal(canonical, result.Canonical);
        Assert.Equal(canonical, result.ToString());
        Assert.Equal(reference, result.ManifestReference);
    }

    [Fact]
    public void TagAndDigestAreExclusive()
    {
        Assert.True(ImageReference.TryParse(Name("alpine"), "latest", out var byTag, out _));
        Assert.False(byTag.IsDigest);
        Assert.Equal("latest", byTag.Tag);
        Assert.Null(byTag.Digest);

        Assert.True(ImageReference.TryParse(Name("alpine"), "sha256:" + Hex, out var byDigest, out _));
        Assert.True(byDigest.IsDigest);
        Assert.Null(byDigest.Tag);
        Assert.Equal(Hex, byDigest.Digest.Value.Hex);
    }

    [Theory]
    [InlineData("", OciErrorCodes.TagInvalid)]
    [InlineData("-x", OciErrorCodes.TagInvalid)]
    [InlineData("sha256:abc", OciErrorCodes.DigestInvalid)]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e", OciErrorCodes.DigestInvalid)]
    public void RejectsBadReferences(string reference, string code)
    {
        Assert.False(ImageReference.TryParse(Name("alpine"), reference, out _, out var error));
        Assert.Equal(code, error.Code);
    }

    [Fact]
    public void ForTagValidates()
    {
        Assert.Throws<ArgumentException>(() => ImageReference.ForTag(Name("alpine"), "bad tag"));
        Assert.Equal("ghcr.io/org/app:v1", ImageReference.ForTag(Name("ghcr.io/org/app"), "v1").Canonical);
    }

    [Fact]
    public void ForDigest()
    {
        var reference = ImageReference.ForDigest(Name("alpine"), Digest.Sha256([]));
        Assert.Equal("index.docker.io/library/alpine@sha256:" + Hex, reference.Canonical);
    }

    [Fact]
    public void EqualityIsByValue()
    {
        Assert.Equal(ImageReference.ForTag(Name("alpine"), "3"), ImageReference.ForTag(Name("docker.io/alpine"), "3"));
        Assert.NotEqual(ImageReference.ForTag(Name("alpine"), "3"), ImageReference.ForTag(Name("alpine"), "4"));
    }
}
