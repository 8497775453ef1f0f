using System.Text;

namespace Tlogistry.Oci;

/// <summary>
/// Makes client-supplied text safe to echo in an error message: quoted, cut to a readable
/// length, with anything outside printable ASCII shown as a \u escape.
/// </summary>
internal static class Display
{
    private const int MaxShown = 80;

    public static string Quote(string value)
    {
        var sb = new StringBuilder(Math.Min(value.Length, MaxShown) + 8);
        sb.Append('"');
        var shown = Math.Min(value.Length, MaxShown);
        for (var i = 0; i < shown; i++)
        {
            var c = value[i];
            if (c is >= ' ' and <= '~' and not '"' and not '\\')
            {
                sb.Append(c);
            }
            else if (c is '"' or '\\')
            {
                sb.Append('\\').Append(c);
            }
            else
            {
                sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        if (value.Length > MaxShown)
        {
            sb.Append("...");
        }

        sb.Append('"');
        return sb.ToString();
    }
}
