using System.Globalization;

namespace Tlogistry.Web;

/// <summary>How the pages write a time: UTC, to the second, the same everywhere.</summary>
internal static class Times
{
    public static string Utc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
