using Tlogistry.Oci;

namespace Tlogistry.Tests.Oci;

public sealed class MediaTypesTests
{
    [Fact]
    public void AcceptListsTheFourManifestTypes()
    {
        var listed = MediaTypes.ManifestAccept.Split(',', StringSplitOptions.TrimEntries);
        Assert.Equal(4, listed.Length);
        Assert.Contains("application/vnd.oci.image.manifest.v1+json", listed);
        Assert.Contains("application/vnd.oci.image.index.v1+json", listed);
        Assert.Contains("application/vnd.docker.distribution.manifest.v2+json", listed);
        Assert.Contains("application/vnd.docker.distribution.manifest.list.v2+json", listed);
        Assert.DoesNotContain(MediaTypes.DockerManifestSchema1Signed, listed);
    }

    [Fact]
    public void MaxManifestBytes() => Assert.Equal(4_194_304, MediaTypes.MaxManifestBytes);

    [Theory]
    [InlineData("application/vnd.oci.image.manifest.v1+json", true, false)]
    [InlineData("application/vnd.oci.image.index.v1+json", true, true)]
    [InlineData("application/vnd.docker.distribution.manifest.v2+json", true, false)]
    [InlineData("application/vnd.docker.distribution.manifest.list.v2+json", true, true)]
    [InlineData("application/vnd.docker.distribution.manifest.v1+prettyjws", true, false)]
    [InlineData("Application/VND.OCI.Image.Manifest.v1+json; charset=utf-8", true, false)]
    [InlineData("application/json", false, false)]
    [InlineData("", false, false)]
    [InlineData(null, false, false)]
    public void Recognises(string? mediaType, bool known, bool index)
    {
        Assert.Equal(known, MediaTypes.IsKnownManifest(mediaType));
        Assert.Equal(index, MediaTypes.IsIndex(mediaType));
    }
}
