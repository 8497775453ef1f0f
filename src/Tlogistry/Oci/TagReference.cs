using System.Diagnostics.CodeAnalysis;

namespace Tlogistry.Oci;

/// <summary>
/// One tag of one repository, the thing a pin is about: an <see cref="ImageName"/> and a valid
/// tag. Its <see cref="Canonical"/> text (<c>index.docker.io/library/alpine:3.16.0</c>) is what
/// sightings sign, the store keys and a log search hashes; two tag references are equal when
/// that text is.
/// </summary>
internal sealed class TagReference : IEquatable<TagReference>
{
    private TagReference(ImageName name, string tag)
    {
        Name = name;
        Tag = tag;
        Canonical = $"{name.Canonical}:{tag}";
    }

    public ImageName Name { get; }

    public string Tag { get; }

    /// <summary>
    /// <c>&lt;registry&gt;/&lt;repository&gt;:&lt;tag&gt;</c>, Docker Hub written as
    /// <c>index.docker.io</c> with its implicit <c>library/</c>, other hosts as
    /// <see cref="RegistryHost"/> canonicalises them. This string is hashed into published
    /// records, so it must never change. It is the form go-containerregistry's
    /// <c>name.Tag.Name()</c> produces with its default registry <c>index.docker.io</c>.
    /// </summary>
    public string Canonical { get; }

    /// <summary>The tag reference of a repository and a tag; throws <see cref="ArgumentException"/> for an invalid tag.</summary>
    public static TagReference Create(ImageName name, string tag)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Oci.Tag.TryValidate(tag, out var error) ? new TagReference(name, tag) : throw new ArgumentException(error.Message, nameof(tag));
    }

    /// <summary>Parses a whole <c>NAME:TAG</c> as a person types it (e.g. <c>alpine:3.16.0</c>), in any spelling of its registry.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out TagReference? reference, [NotNullWhen(false)] out OciError? error)
    {
        reference = null;
        var colon = text?.LastIndexOf(':') ?? -1;
        if (text is null || colon <= 0 || text.IndexOf('/', colon) >= 0)
        {
            error = new OciError(OciErrorCodes.NameInvalid, $"expected NAME:TAG such as alpine:3.16.0, got {Display.Quote(text ?? "")}");
            return false;
        }

        if (!ImageNameParser.TryParse(text[..colon], out var name, out error))
        {
            return false;
        }

        var tag = text[(colon + 1)..];
        if (!Oci.Tag.TryValidate(tag, out error))
        {
            return false;
        }

        reference = new TagReference(name, tag);
        return true;
    }

    /// <summary>
    /// Reads text that must already be canonical (a stored row, a signed statement, an intent):
    /// any other spelling, even of the same tag, throws <see cref="FormatException"/>, since it is
    /// not what this proxy writes.
    /// </summary>
    public static TagReference ParseCanonical(string? text)
    {
        if (!TryParse(text, out var reference, out var error))
        {
            throw new FormatException("not a tag reference: " + error.Message);
        }

        return string.Equals(reference.Canonical, text, StringComparison.Ordinal)
            ? reference
            : throw new FormatException($"{Display.Quote(text!)} is not a canonical tag reference (that is {reference.Canonical})");
    }

    public bool Equals(TagReference? other) => other is not null && string.Equals(Canonical, other.Canonical, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as TagReference);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Canonical);

    public static bool operator ==(TagReference? left, TagReference? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(TagReference? left, TagReference? right) => !(left == right);

    public override string ToString() => Canonical;
}
