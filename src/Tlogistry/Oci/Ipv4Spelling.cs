using System.Globalization;
using System.Net;

namespace Tlogistry.Oci;

/// <summary>
/// Reads an IPv4 address in any of the spellings URL parsers and <c>inet_aton</c> accept:
/// one to four dot-separated parts, each decimal, octal (leading 0) or hex (0x), the last part
/// filling the remaining bytes (<c>2130706433</c>, <c>127.1</c>, <c>0x7f.0.0.1</c>,
/// <c>0177.0.0.1</c> are all 127.0.0.1). <see cref="RegistryHost"/> uses it to recognise a
/// non-canonical spelling and name the address it means.
/// </summary>
internal static class Ipv4Spelling
{
    /// <param name="parts">The lowercase dot-separated labels of the host.</param>
    public static bool TryRead(string[] parts, out IPAddress address)
    {
        address = IPAddress.None;
        if (parts.Length is 0 or > 4)
        {
            return false;
        }

        var values = new ulong[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!TryPart(parts[i], out values[i]))
            {
                return false;
            }
        }

        // Every part but the last is one byte; the last fills the bytes left.
        for (var i = 0; i < values.Length - 1; i++)
        {
            if (values[i] > 255)
            {
                return false;
            }
        }

        var lastBits = 8 * (5 - values.Length);
        if (values[^1] >= 1UL << lastBits)
        {
            return false;
        }

        ulong number = values[^1];
        for (var i = 0; i < values.Length - 1; i++)
        {
            number |= values[i] << (8 * (3 - i));
        }

        address = new IPAddress([(byte)(number >> 24), (byte)(number >> 16), (byte)(number >> 8), (byte)number]);
        return true;
    }

    private static bool TryPart(string part, out ulong value)
    {
        value = 0;
        var (digits, style, radix) = part switch
        {
            _ when part.StartsWith("0x", StringComparison.Ordinal) => (part[2..], NumberStyles.AllowHexSpecifier, 16),
            _ when part.Length > 1 && part[0] == '0' => (part[1..], NumberStyles.None, 8),
            _ => (part, NumberStyles.None, 10),
        };

        // An empty hex part ("0x") is zero, as URL parsers read it; more than 12 digits is out of range anyway.
        if (digits.Length == 0)
        {
            return radix == 16;
        }

        if (digits.Length > 12)
        {
            return false;
        }

        if (radix == 8)
        {
            foreach (var c in digits)
            {
                if (c is < '0' or > '7')
                {
                    return false;
                }

                value = (value * 8) + (ulong)(c - '0');
            }

            return true;
        }

        return ulong.TryParse(digits, style, CultureInfo.InvariantCulture, out value);
    }
}
