using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Tlogistry.Oci;

/// <summary>
/// Tag validation per the distribution reference grammar, <c>[\w][\w.-]{0,127}</c>, where
/// <c>\w</c> is ASCII only (<c>[A-Za-z0-9_]</c>), as in Go's regular expressions.
/// </summary>
internal static partial class Tag
{
    public const int MaxLength = 128;

    public static bool IsValid([NotNullWhen(true)] string? tag) =>
        tag is not null && tag.Length <= MaxLength && TagPattern().IsMatch(tag);

    public static bool TryValidate([NotNullWhen(true)] string? tag, [NotNullWhen(false)] out OciError? error)
    {
        if (IsValid(tag))
        {
            error = null;
            return true;
        }

        string reason;
        if (string.IsNullOrEmpty(tag))
        {
            reason = "invalid tag: the tag is empty";
        }
        else if (tag.Length > MaxLength)
        {
            reason = $"invalid tag: tags are at most {MaxLength} characters, this one has {tag.Length}";
        }
        else
        {
            reason = $"invalid tag {Display.Quote(tag)}: a tag starts with a letter, digit or '_' and "
                + "continues with letters, digits, '_', '.' or '-'";
        }

        error = new OciError(OciErrorCodes.TagInvalid, reason);
        return false;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();
}
