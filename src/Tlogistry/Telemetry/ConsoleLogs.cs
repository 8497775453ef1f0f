using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Tlogistry.Telemetry;

/// <summary>
/// Where logs go: the console, one line per message, UTC timestamps. <c>text</c> is a
/// line a person reads; <c>json</c> is one JSON object per line (Microsoft's JSON console
/// formatter) whose <c>State</c> holds each message's fields, for a log pipeline to index.
/// The formatters are Microsoft's; the writing is <see cref="BatchedConsoleLoggerProvider"/>'s.
/// </summary>
internal static class ConsoleLogs
{
    private const string Timestamp = "yyyy-MM-ddTHH:mm:ss.fffZ";

    /// <param name="batched">Categories whose informational lines may be written in batches (the per-request line).</param>
    public static void Add(ILoggingBuilder logging, string? format, params string[] batched)
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

        // Keep the formatters and their options; write through the batching provider instead of the stock one.
        foreach (var stock in logging.Services.Where(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider)).ToList())
        {
            logging.Services.Remove(stock);
        }

        logging.Services.AddSingleton(new BatchedCategories(new HashSet<string>(batched, StringComparer.Ordinal)));
        logging.Services.AddSingleton(_ => new ConsoleLineSink(Console.Out));
        logging.Services.AddSingleton<ILoggerProvider, BatchedConsoleLoggerProvider>();
    }
}
