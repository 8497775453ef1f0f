using System.Text;
using Tlogistry.Oci;

namespace Tlogistry.Tests.Oci;

/// <summary>What counts as a manifest on the manifest route, and the type it is served under.</summary>
public sealed class ManifestCheckTests
{
    private const string Image = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{},\"layers\":[]}";
    private const string Bare = "{\"schemaVersion\":2,\"config\":{},\"layers\":[]}";
    private const string Index = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}";
    private const string Docker = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"config\":{},\"layers\":[]}";
    private const string List = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\",\"manifests\":[]}";

    [Theory]
    [InlineData("application/vnd.oci.image.manifest.v1+json", Image, MediaTypes.OciManifest)]
    [InlineData("APPLICATION/VND.OCI.IMAGE.MANIFEST.V1+JSON; charset=utf-8", Image, MediaTypes.OciManifest)]
    [InlineData("application/vnd.oci.image.manifest.v1+json", Bare, MediaTypes.OciManifest)]
    [InlineData("application/vnd.oci.image.index.v1+json", Index, MediaTypes.OciIndex)]
    [InlineData("application/vnd.docker.distribution.manifest.v2+json", Docker, MediaTypes.DockerManifest)]
    [InlineData("application/vnd.docker.distribution.manifest.list.v2+json", List, MediaTypes.DockerManifestList)]
    [InlineData(null, Index, MediaTypes.OciIndex)]
    [InlineData("application/octet-stream", Docker, MediaTypes.DockerManifest)]
    [InlineData("application/json", Image, MediaTypes.OciManifest)]
    [InlineData("application/vnd.oci.image.manifest.v1+json", "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"artifactType\":\"application/x.sbom\",\"config\":{},\"layers\":[{}]}", MediaTypes.OciManifest)]
    [InlineData("application/vnd.oci.image.manifest.v1+json", "{\"schemaVersion\":2,\"config\":{},\"layers\":[],\"annotations\":{\"a.title\":\"x\",\"A.Title\":\"y\"}}", MediaTypes.OciManifest)]
    public void AManifestOfAServedTypeIsServedUnderThatType(string? contentType, string body, string served)
    {
        Assert.True(ManifestCheck.TryAccept(contentType, Encoding.UTF8.GetBytes(body), out var mediaType, out var problem), problem);
        Assert.Equal(served, mediaType);
    }

    [Theory]
    [InlineData("text/html", "<script>alert(document.domain)</script>", "Content-Type")]
    [InlineData("text/html; charset=utf-8", Image, "Content-Type")]
    [InlineData("image/svg+xml", Image, "Content-Type")]
    [InlineData("application/vnd.docker.distribution.manifest.v1+prettyjws", "{\"schemaVersion\":1,\"name\":\"x\",\"tag\":\"y\",\"fsLayers\":[]}", "Content-Type")]
    [InlineData("application/vnd.oci.artifact.manifest.v1+json", "{\"mediaType\":\"application/vnd.oci.artifact.manifest.v1+json\",\"artifactType\":\"x\"}", "Content-Type")]
    [InlineData("application/vnd.oci.image.manifest.v1+json", "0123456789012345678901234567890123456789", "not a JSON document")]
    [InlineData("application/vnd.oci.image.manifest.v1+json", "[1,2]", "not a JSON object")]
    [InlineData("application/vnd.oci.image.manifest.v1+json", "{\"schemaVersion\":1,\"config\":{},\"layers\":[]}", "schemaVersion")]
    [InlineData("application/vnd.oci.image.manifest.v1+json", "{\"schemaVersion\":\"2\",\"config\":{},\"layers\":[]}", "schemaVersion")]
    [InlineData("application/vnd.oci.image.manifest.v1+json", "{\"config\":{},\"layers\":[]}", "schemaVersion")]
    [InlineData("application/vnd.oci.image.manifest.v1+json", Index, "mediaType does not agree")]
    [InlineData("application/vnd.oci.image.manifest.v1+json", "{\"schemaVersion\":2,\"mediaType\":7,\"config\":{},\"layers\":[]}", "mediaType does not agree")]
    [InlineData("application/vnd.oci.image.index.v1+json", "{\"schemaVersion\":2,\"config\":{},\"layers\":[]}", "manifests array")]
    [InlineData("application/vnd.oci.image.manifest.v1+json", "{\"schemaVersion\":2,\"layers\":[]}", "config object")]
    [InlineData(null, Bare, "neither")]
    [InlineData("application/json", "{\"schemaVersion\":2,\"mediaType\":\"text/html\",\"config\":{},\"layers\":[]}", "neither")]
    [InlineData("application/vnd.oci.image.manifest.v1+json", "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"config\":{},\"layers\":[]}", "not a JSON document")]
    [InlineData("application/vnd.oci.image.manifest.v1+json, text/html", Image, "Content-Type")]

    // Go's encoding/json (containerd, Docker) matches member names without regard to case and
    // keeps the last: to it these carry a second mediaType, schemaVersion, layers or digest.
    [InlineData("application/vnd.oci.image.manifest.v1+json", "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{},\"layers\":[],\"MediaType\":\"text/html\"}", "differ only in case")]
    [InlineData("application/vnd.oci.image.manifest.v1+json", "{\"schemaVersion\":2,\"SCHEMAVERSION\":1,\"config\":{},\"layers\":[]}", "differ only in case")]
    [InlineData("application/vnd.oci.image.manifest.v1+json", "{\"schemaVersion\":2,\"config\":{},\"layers\":[],\"layer\u017F\":[{}]}", "differ only in case")]
    [InlineData("application/vnd.oci.image.index.v1+json", "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:1\",\"Digest\":\"sha256:2\"}]}", "differ only in case")]
    public void AnythingElseIsRefusedWithItsReason(string? contentType, string body, string reason)
    {
        Assert.False(ManifestCheck.TryAccept(contentType, Encoding.UTF8.GetBytes(body), out var mediaType, out var problem));
        Assert.Null(mediaType);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void BytesThatAreNotUTF8AreNotAManifest()
    {
        byte[] body = [.. Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"config\":{},\"layers\":[],\"x\":\""), 0xff, 0xfe, .. "\"}"u8];
        Assert.False(ManifestCheck.TryAccept(MediaTypes.OciManifest, body, out _, out var problem));
        Assert.Contains("not a JSON document", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void UpstreamsTextInARefusalIsBoundedAndPrintable()
    {
        Assert.False(ManifestCheck.TryAccept("text/\u0007" + new string('x', 500), "{}"u8.ToArray(), out _, out var problem));
        Assert.DoesNotContain('\u0007', problem);
        Assert.True(problem.Length < 400, problem);
    }
}
