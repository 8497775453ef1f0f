using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tlogistry.Client.History;

/// <summary>The two forms of <c>tlogistry history</c>'s answer: an aligned table, or a JSON array.</summary>
internal static class HistoryOutput
{
    public static string Table(IReadOnlyList<HistoryRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        string[] header = ["TAG", "DIGEST", "LOG INDEX", "INTEGRATED", "STATUS"];
        var cells = rows.Select(r => new[] { r.Tag, r.Digest, r.LogIndex.ToString(CultureInfo.InvariantCulture), Time(r.IntegratedTime) ?? "none", r.Status }).ToList();
        var widths = header.Select((h, i) => cells.Select(c => c[i].Length).Append(h.Length).Max()).ToArray();
        var sb = new StringBuilder();
        foreach (var line in cells.Prepend(header))
        {
            // The last column is not padded, so lines carry no trailing spaces.
            sb.AppendJoin("  ", line.Select((cell, i) => i == line.Length - 1 ? cell : cell.PadRight(widths[i]))).Append('\n');
        }

        return sb.ToString();
    }

    public static string Json(IReadOnlyList<HistoryRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var r in rows)
            {
                w.WriteStartObject();
                w.WriteString("reference", r.Reference);
                w.WriteString("tag", r.Tag);
                w.WriteString("digest", r.Digest);
                w.WriteNumber("logIndex", r.LogIndex);
                w.WriteString("logId", r.LogId);
                if (Time(r.IntegratedTime) is { } time)
                {
                    w.WriteString("integratedTime", time);
                }
                else
                {
                    w.WriteNull("integratedTime");
                }

                w.WriteBoolean("verified", r.Verified);
                w.WriteString("status", r.Status);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static string? Time(DateTimeOffset? t) =>
        t?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
