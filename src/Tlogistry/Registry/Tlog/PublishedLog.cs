using System.Text.Json;
using Tlogistry.Transparency;

namespace Tlogistry.Registry.Tlog;

/// <summary>
/// Which log this instance records sightings in, as <c>GET /tlog/log</c> publishes it:
/// <c>{"kind":"embedded|rekor-v1|rekor-v2","logId":"HEX"}</c>. The log is named by its ID
/// (the trusted root gives its public URL and key), never by the address the proxy writes
/// to, which may be internal.
/// </summary>
internal sealed record PublishedLog(LogKind Kind, byte[] LogId)
{
    public const string Path = "/tlog/log";

    public byte[] Write()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", Name(Kind));
            w.WriteString("logId", Convert.ToHexStringLower(LogId));
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads what a proxy published; throws <see cref="FormatException"/> when it is not that.</summary>
    public static PublishedLog Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            var kind = doc.RootElement.GetProperty("kind").GetString() switch
            {
                "embedded" => LogKind.Embedded,
                "rekor-v1" => LogKind.RekorV1,
                "rekor-v2" => LogKind.RekorV2,
                var other => throw new FormatException($"unknown log kind \"{other}\""),
            };
            return new PublishedLog(kind, Convert.FromHexString(doc.RootElement.GetProperty("logId").GetString() ?? ""));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("not a log description: " + e.Message, e);
        }
    }

    private static string Name(LogKind kind) => kind switch
    {
        LogKind.Embedded => "embedded",
        LogKind.RekorV1 => "rekor-v1",
        _ => "rekor-v2",
    };
}
