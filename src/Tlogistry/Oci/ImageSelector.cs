using System.Diagnostics.CodeAnalysis;

namespace Tlogistry.Oci;

/// <summary>
/// <c>NAME</c> or <c>NAME:TAG</c> as a person types it (e.g. <c>alpine</c>, <c>alpine:3.16.0</c>,
/// <c>localhost:5000/app</c>): every tag of one repository, or one tag. A colon is a tag
/// separator only after the last '/', so a registry port is never mistaken for a tag.
/// </summary>
internal sealed record ImageSelector(ImageName Name, string? Tag)
{
    /// <summary>The tag reference when a tag was given, else null.</summary>
    public TagReference? Reference => Tag is null ? null : TagReference.Create(Name, Tag);

    /// <summary>True when <paramref name="reference"/> is selected: the one tag, or any tag of the image.</summary>
    public bool Selects(TagReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return Reference is { } one ? reference == one : reference.Name == Name;
    }

    public override string ToString() => Reference?.Canonical ?? Name.Canonical;

    public static bool TryParse(string? text, [NotNullWhen(true)] out ImageSelector? selector, [NotNullWhen(false)] out OciError? error)
    {
        selector = null;
        var colon = text?.LastIndexOf(':') ?? -1;
        var hasTag = colon > 0 && text!.IndexOf('/', colon) < 0;
        if (!ImageNameParser.TryParse(hasTag ? text![..colon] : text, out var name, out error))
        {
            return false;
        }

        if (!hasTag)
        {
            selector = new ImageSelector(name, null);
            return true;
        }

        var tag = text![(colon + 1)..];
        if (!Oci.Tag.TryValidate(tag, out error))
        {
            return false;
        }

        selector = new ImageSelector(name, tag);
        return true;
    }
}
