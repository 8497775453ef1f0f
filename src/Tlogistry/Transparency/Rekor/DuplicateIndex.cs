using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tlogistry.Transparency.Rekor;

/// <summary>
/// Reads the index of the entry a Rekor v2 log (rekor-tiles) holds already from its 409
/// answer, a gRPC-gateway status whose message ends "… already exists in the transparency log
/// with index N". Pure; null when the answer names none.
/// </summary>
internal static partial class DuplicateIndex
{
    public static long? Find(byte[] body)
    {
        string? message;
        try
        {
            using var doc = JsonDocument.Parse(body);
            message = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
                ? m.GetString()
                : null;
        }
        catch (JsonException)
        {
            message = Encoding.UTF8.GetString(body);
        }

        var match = message is null ? null : IndexPattern().Match(message);
        return match is { Success: true } && long.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : null;
    }

    [GeneratedRegex(@"already exists in the transparency log with index (\d{1,18})\b", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 250)]
    private static partial Regex IndexPattern();
}
