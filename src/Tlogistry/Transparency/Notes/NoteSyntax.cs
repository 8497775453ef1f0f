using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Tlogistry.Transparency.Notes;

/// <summary>Lexical rules shared by notes, signature lines and key strings (c2sp.org/signed-note).</summary>
internal static class NoteSyntax
{
    /// <summary>Every signature line starts with U+2014 EM DASH and a space.</summary>
    public const string SignaturePrefix = "\u2014 ";

    /// <summary>
    /// The spec requires accepting at least 16 signatures; capping at 100 bounds the work an
    /// untrusted note can cause while leaving room for many witnesses.
    /// </summary>
    public const int MaxSignatures = 100;

    /// <summary>Key names are non-empty and contain neither Unicode spaces nor '+', which delimits key strings.</summary>
    public static bool IsValidKeyName([NotNullWhen(true)] string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('+', StringComparison.Ordinal))
        {
            return false;
        }

        var rest = name.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var used) != System.Buffers.OperationStatus.Done
                || Rune.IsWhiteSpace(rune))
            {
                return false;
            }

            rest = rest[used..];
        }

        return true;
    }

    /// <summary>
    /// Returns null if <paramref name="text"/> is well-formed Unicode with no control characters
    /// other than newline, otherwise a description of the first offence.
    /// </summary>
    public static string? FindTextError(string text)
    {
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var used) != System.Buffers.OperationStatus.Done)
            {
                return $"invalid UTF-16 at offset {text.Length - rest.Length}";
            }

            if (rune.Value < 0x20 && rune.Value != '\n')
            {
                return $"control character U+{rune.Value:X4} at offset {text.Length - rest.Length}";
            }

            rest = rest[used..];
        }

        return null;
    }

    /// <summary>
    /// Decodes padded standard base64 (RFC 4648 section 4). Unlike <see cref="Convert.FromBase64String(string)"/>
    /// this refuses whitespace inside the value, which the line-oriented note formats never contain.
    /// </summary>
    public static bool TryDecodeBase64(string s, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (s.Length == 0 || s.Length % 4 != 0)
        {
            return false;
        }

        var padding = s.EndsWith("==", StringComparison.Ordinal) ? 2 : s.EndsWith('=') ? 1 : 0;
        for (var i = 0; i < s.Length - padding; i++)
        {
            if (!IsBase64Char(s[i]))
            {
                return false;
            }
        }

        var buffer = new byte[s.Length / 4 * 3];
        if (!Convert.TryFromBase64String(s, buffer, out var written))
        {
            return false;
        }

        bytes = buffer[..written];
        return true;
    }

    private static bool IsBase64Char(char c) => char.IsAsciiLetterOrDigit(c) || c == '+' || c == '/';
}
