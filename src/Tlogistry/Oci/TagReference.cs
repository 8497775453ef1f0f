using System.Diagnostics.CodeAnalysis;

namespace Tlogistry.Oci;

/// <summary>Parses a whole <c>name:tag</c> as a person types it (e.g. <c>alpine:3.16.0</c>) into its canonical reference.</summary>
internal static class TagReference
{
    public static bool TryParse(string? text, [NotNullWhen(true)] out ImageReference? reference, [NotNullWhen(false)] out OciError? error)
    {
        reference = null;
        var colon = text?.LastIndexOf(':') ?? -1;
        if (text is null || colon <= 0 || text.IndexOf('/', colon) >= 0)
        {
            error = new OciError(OciErrorCodes.NameInvalid, $"expected NAME:TAG such as alpine:3.16.0, got {Display.Quote(text ?? "")}");
            return false;
        }

        return ImageNameParser.TryParse(text[..colon], out var name, out error)
            && ImageReference.TryParse(name, text[(colon + 1)..], out reference, out error);
    }
}
