using System.Globalization;

namespace Tlogistry.Web;

/// <summary>How the pages write a time: UTC, to the second, the same everywhere.</summary>
internal static class Times
{
    public static string Utc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>The time as an HTML <c>time</c> element, which the stylesheet keeps on one line.</summary>
    public static string Html(DateTimeOffset t) =>
        $"<time datetime=\"{t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}\">{Utc(t)}</time>";
}
