using System.Text;

namespace Tlogistry.Fuzzing;

/// <summary>
/// Maps fuzz bytes to the strings the parsers take. Bytes are read as WTF-8: UTF-8 in which a
/// three-byte sequence may also encode a lone surrogate, so byte-level mutations reach every
/// UTF-16 string, malformed ones included; a byte that starts no valid sequence becomes U+FFFD.
/// </summary>
internal static class FuzzInput
{
    public static string Text(ReadOnlySpan<byte> data)
    {
        var sb = new StringBuilder(data.Length);
        var i = 0;
        while (i < data.Length)
        {
            var length = TryDecode(data[i..], out var codePoint);
            if (length == 0)
            {
                sb.Append('\uFFFD');
                i++;
                continue;
            }

            if (codePoint < 0x10000)
            {
                sb.Append((char)codePoint);
            }
            else
            {
                codePoint -= 0x10000;
                sb.Append((char)(0xD800 + (codePoint >> 10))).Append((char)(0xDC00 + (codePoint & 0x3FF)));
            }

            i += length;
        }

        return sb.ToString();
    }

    /// <summary>The inverse of <see cref="Text"/>: UTF-8, with lone surrogates as three-byte sequences.</summary>
    public static byte[] Bytes(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            int c = text[i];
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                c = char.ConvertToUtf32(text[i], text[i + 1]);
                i++;
            }

            Encode(c, bytes);
        }

        return [.. bytes];
    }

    public static byte[][] AllBytes(IEnumerable<string> texts) => [.. texts.Select(Bytes)];

    /// <summary>
    /// Reduces an error message to its wording, so that messages from the same branch compare
    /// equal: quoted text (which echoes the input) is dropped, and so is every word that is not
    /// a short lowercase word (sizes, offsets, key IDs, host names echoed unquoted).
    /// </summary>
    public static string Shape(string message)
    {
        // Double-quoted text is escaped (Display.Quote); single-quoted text is not, so it runs
        // to the last single quote.
        var unquoted = new StringBuilder(message.Length);
        var lastSingle = message.LastIndexOf('\'');
        for (var i = 0; i < message.Length; i++)
        {
            var c = message[i];
            if (c == '\'')
            {
                unquoted.Append('…');
                i = i == lastSingle ? i : lastSingle;
            }
            else if (c == '"')
            {
                unquoted.Append('…');
                for (i++; i < message.Length && message[i] != '"'; i++)
                {
                    i += message[i] == '\\' ? 1 : 0;
                }
            }
            else
            {
                unquoted.Append(c);
            }
        }

        var shape = string.Join(' ', unquoted.ToString().Split(' ').Where(IsWord));
        return shape.Length <= 80 ? shape : shape[..80];
    }

    private static bool IsWord(string word)
    {
        var core = word.TrimStart('(').TrimEnd(':', ';', ',', '.', ')');
        return core.Length is > 0 and <= 16 && core.All(c => c is (>= 'a' and <= 'z') or '-' or '…');
    }

    public static void Encode(int codePoint, List<byte> to)
    {
        switch (codePoint)
        {
            case < 0x80:
                to.Add((byte)codePoint);
                break;
            case < 0x800:
                to.Add((byte)(0xC0 | (codePoint >> 6)));
                to.Add((byte)(0x80 | (codePoint & 0x3F)));
                break;
            case < 0x10000:
                to.Add((byte)(0xE0 | (codePoint >> 12)));
                to.Add((byte)(0x80 | ((codePoint >> 6) & 0x3F)));
                to.Add((byte)(0x80 | (codePoint & 0x3F)));
                break;
            default:
                to.Add((byte)(0xF0 | (codePoint >> 18)));
                to.Add((byte)(0x80 | ((codePoint >> 12) & 0x3F)));
                to.Add((byte)(0x80 | ((codePoint >> 6) & 0x3F)));
                to.Add((byte)(0x80 | (codePoint & 0x3F)));
                break;
        }
    }

    /// <summary>Length of the WTF-8 sequence at the start of <paramref name="data"/>, or 0 when there is none.</summary>
    private static int TryDecode(ReadOnlySpan<byte> data, out int codePoint)
    {
        var first = data[0];
        int length, min;
        switch (first)
        {
            case < 0x80:
                codePoint = first;
                return 1;
            case >= 0xC2 and <= 0xDF:
                (length, min, codePoint) = (2, 0x80, first & 0x1F);
                break;
            case >= 0xE0 and <= 0xEF:
                (length, min, codePoint) = (3, 0x800, first & 0x0F);
                break;
            case >= 0xF0 and <= 0xF4:
                (length, min, codePoint) = (4, 0x10000, first & 0x07);
                break;
            default:
                codePoint = 0;
                return 0;
        }

        if (data.Length < length)
        {
            return 0;
        }

        for (var k = 1; k < length; k++)
        {
            if ((data[k] & 0xC0) != 0x80)
            {
                return 0;
            }

            codePoint = (codePoint << 6) | (data[k] & 0x3F);
        }

        return codePoint >= min && codePoint <= 0x10FFFF ? length : 0;
    }
}
