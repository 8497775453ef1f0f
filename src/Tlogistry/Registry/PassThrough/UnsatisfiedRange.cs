using System.Globalization;

namespace Tlogistry.Registry.PassThrough;

/// <summary>
/// The <c>Content-Range</c> of a 416 (RFC 9110 §14.4): <c>bytes */LENGTH</c>, the blob's whole
/// length. Only that form is passed on, rebuilt from the number, so nothing else of upstream's
/// text reaches the client.
/// </summary>
internal static class UnsatisfiedRange
{
    /// <summary>The length upstream's 416 states, or null when it states none or states it in another form.</summary>
    public static long? SizeOf(HttpResponseMessage response) =>
        response.Content.Headers.NonValidated.TryGetValues("Content-Range", out var values) && values.Count == 1
            ? Parse(values.ToString())
            : null;

    /// <summary><c>bytes */N</c> with N decimal digits and no sign or space: N; anything else: null.</summary>
    public static long? Parse(string value)
    {
        const string prefix = "bytes */";
        if (!value.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var digits = value.AsSpan(prefix.Length);
        return digits.Length is > 0 and <= 18 && !digits.ContainsAnyExceptInRange('0', '9')
            && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            ? length
            : null;
    }

    public static string Format(long length) => "bytes */" + length.ToString(CultureInfo.InvariantCulture);
}
