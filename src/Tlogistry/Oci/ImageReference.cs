using System.Diagnostics.CodeAnalysis;

namespace Tlogistry.Oci;

/// <summary>
/// A manifest reference: an <see cref="ImageName"/> plus either a tag or a digest.
/// </summary>
internal sealed record ImageReference
{
    private ImageReference(ImageName name, string? tag, Digest? digest)
    {
        Name = name;
        Tag = tag;
        Digest = digest;
        AsTag = tag is null ? null : TagReference.Create(name, tag);
    }

    public ImageName Name { get; }

    /// <summary>The tag, when this reference is by tag.</summary>
    public string? Tag { get; }

    /// <summary>The typed tag reference, when this reference is by tag.</summary>
    public TagReference? AsTag { get; }

    /// <summary>The digest, when this reference is by digest.</summary>
    public Digest? Digest { get; }

    [MemberNotNullWhen(true, nameof(Digest))]
    [MemberNotNullWhen(false, nameof(Tag), nameof(AsTag))]
    public bool IsDigest => Digest is not null;

    /// <summary>
    /// The reference as <c>&lt;registry&gt;/&lt;repository&gt;:&lt;tag&gt;</c> or
    /// <c>&lt;registry&gt;/&lt;repository&gt;@&lt;digest&gt;</c>, with Docker Hub written as
    /// <c>index.docker.io</c>, e.g. <c>index.docker.io/library/alpine:3.16.0</c>.
    /// This string is hashed into published records, so it must never change. It is the form
    /// go-containerregistry's <c>name.Tag.Name()</c> / <c>name.Digest.Name()</c> produce with
    /// their default registry <c>index.docker.io</c>: Docker Hub's host is spelled
    /// <c>index.docker.io</c> whichever alias the client used, and the implicit
    /// <c>library/</c> is always present. Other hosts appear as canonicalised by
    /// <see cref="RegistryHost"/> (lowercase, no :443, canonical IP text).
    /// </summary>
    public string Canonical
    {
        get => IsDigest ? $"{Name.Canonical}@{Digest.Value}" : AsTag.Canonical;
    }

    /// <summary>The <c>&lt;reference&gt;</c> of <c>/v2/&lt;name&gt;/manifests/&lt;reference&gt;</c>: the tag or digest.</summary>
    public string ManifestReference => IsDigest ? Digest.Value.ToString() : Tag;

    public static ImageReference ForTag(ImageName name, string tag)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Oci.Tag.TryValidate(tag, out var error))
        {
            throw new ArgumentException(error.Message, nameof(tag));
        }

        return new ImageReference(name, tag, null);
    }

    public static ImageReference ForDigest(ImageName name, Digest digest)
    {
        ArgumentNullException.ThrowIfNull(name);
        return new ImageReference(name, null, digest);
    }

    /// <summary>
    /// Parses the <c>&lt;reference&gt;</c> of a manifest request: a digest when it contains ':'
    /// (tags cannot), otherwise a tag.
    /// </summary>
    public static bool TryParse(
        ImageName name,
        string? reference,
        [NotNullWhen(true)] out ImageReference? result,
        [NotNullWhen(false)] out OciError? error)
    {
        ArgumentNullException.ThrowIfNull(name);
        result = null;
        if (reference is not null && reference.Contains(':', StringComparison.Ordinal))
        {
            if (!Oci.Digest.TryParse(reference, out var digest, out error))
            {
                return false;
            }

            result = new ImageReference(name, null, digest);
            return true;
        }

        if (!Oci.Tag.TryValidate(reference, out error))
        {
            return false;
        }

        result = new ImageReference(name, reference, null);
        return true;
    }

    public override string ToString() => Canonical;
}
