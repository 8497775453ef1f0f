using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Tlogistry.Telemetry;

/// <summary>
/// Where logs go: the console, one line per message, UTC timestamps. <c>text</c> is a
/// line a person reads; <c>json</c> is one JSON object per line (Microsoft's JSON console
/// formatter) whose <c>State</c> holds each message's fields, for a log pipeline to index.
/// </summary>
internal static class ConsoleLogs
{
    private const string Timestamp = "yyyy-MM-ddTHH:mm:ss.fffZ";

    public static void Add(ILoggingBuilder logging, string? format)
    {
        switch ((format ?? "text").Trim().ToLowerInvariant())
        {
            case "text":
                logging.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = Timestamp + " ";
                    o.UseUtcTimestamp = true;
                });
                break;
            case "json":
                logging.AddJsonConsole(o =>
                {
                    o.TimestampFormat = Timestamp;
                    o.UseUtcTimestamp = true;
                    o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
                });
                break;
            default:
                throw new FormatException($"--log-format must be text or json, got \"{format}\"");
        }
    }
}
