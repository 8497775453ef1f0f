using System.Globalization;
using Microsoft.AspNetCore.Http;
using Tlogistry.Store;

namespace Tlogistry.Registry.Tags;

/// <summary>The <c>Tlog-*</c> headers that tell a client which log entry pins the tag it was served.</summary>
internal static class PinHeaders
{
    public const string Uuid = "Tlog-Uuid";
    public const string LogIndex = "Tlog-Logindex";
    public const string IntegratedTime = "Tlog-Integratedtime";

    public static void Set(IHeaderDictionary headers, Sighting pin)
    {
        var entry = pin.Bundle.Entry;
        headers[Uuid] = pin.Uuid;
        headers[LogIndex] = entry.LogIndex.ToString(CultureInfo.InvariantCulture);
        if (pin.LogTime is { } time)
        {
            // Only a time the log signed (SET, embedded leaf): an unsigned integratedTime is nobody's word.
            headers[IntegratedTime] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }
    }
}
