using Tlogistry.Oci;

namespace Tlogistry.Tests.Support.Data;

/// <summary>The typed values tests name in text: a canonical tag reference, a digest, an image name.</summary>
internal static class Typed
{
    public static TagReference Tag(string canonical) => TagReference.ParseCanonical(canonical);

    public static Digest Digest(string text) => Tlogistry.Oci.Digest.Parse(text);

    public static ImageName Image(string text) =>
        ImageNameParser.TryParse(text, out var name, out var error) ? name : throw new ArgumentException(error.Message, nameof(text));
}
