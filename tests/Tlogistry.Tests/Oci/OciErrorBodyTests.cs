using System.Text.Json;
using Tlogistry.Oci;

namespace Tlogistry.Tests.Oci;

public sealed class OciErrorBodyTests
{
    [Fact]
    public void OmitsNullDetail()
    {
        var json = OciErrorBody.ToJson(new OciError(OciErrorCodes.ManifestUnknown, "manifest unknown"));
        Assert.Equal("""{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}""", json);
    }

    [Fact]
    public void WritesDetailAndSeveralErrors()
    {
        var bytes = OciErrorBody.ToUtf8Json(
            new OciError(OciErrorCodes.NameInvalid, "bad \"name\"", new { Name = "A/b" }),
            new OciError(OciErrorCodes.Unsupported, "read-only"));

        using var doc = JsonDocument.Parse(bytes);
        var errors = doc.RootElement.GetProperty("errors");
        Assert.Equal(2, errors.GetArrayLength());
        Assert.Equal("NAME_INVALID", errors[0].GetProperty("code").GetString());
        Assert.Equal("bad \"name\"", errors[0].GetProperty("message").GetString());
        Assert.Equal("A/b", errors[0].GetProperty("detail").GetProperty("name").GetString());
        Assert.Equal("UNSUPPORTED", errors[1].GetProperty("code").GetString());
        Assert.False(errors[1].TryGetProperty("detail", out _));
    }

    [Fact]
    public void EmptyList()
    {
        Assert.Equal("""{"errors":[]}""", OciErrorBody.ToJson([]));
    }

    [Fact]
    public void CodesMatchTheSpecification()
    {
        var codes = typeof(OciErrorCodes).GetFields()
            .Select(f => (string)f.GetRawConstantValue()!)
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.Equal(
            [
                "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DENIED", "DIGEST_INVALID",
                "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID", "NAME_UNKNOWN",
                "SIZE_INVALID", "TAG_INVALID", "TOOMANYREQUESTS", "UNAUTHORIZED", "UNSUPPORTED",
            ],
            codes);
    }
}
