using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tlogistry.Client.Audit;

/// <summary>The two forms of <c>tlogistry audit</c>'s report: one line per finding and a summary, or JSON.</summary>
internal static class AuditOutput
{
    public static string Text(AuditReport report, long from)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        foreach (var c in report.Conflicts)
        {
            sb.Append(CultureInfo.InvariantCulture, $"conflict: {c.Reference} was recorded with {c.Sightings.Select(s => s.Digest).Distinct().Count()} digests: ")
                .AppendJoin(", ", c.Sightings.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Digest} (log index {s.LogIndex})")))
                .Append('\n');
        }

        foreach (var e in report.Unexplained)
        {
            var what = e.Sighting is { } s ? $"a sighting of {s.Reference} as {s.Digest}" : $"a {e.Kind} entry signed by our key";
            sb.Append(CultureInfo.InvariantCulture, $"unexplained: log index {e.LogIndex} (uuid {e.Uuid}) is {what}, and no published bundle holds it\n");
        }

        foreach (var b in report.BadBundles)
        {
            sb.Append(CultureInfo.InvariantCulture, $"bad bundle: the published bundle for log index {b.LogIndex} does not verify: {b.Failure}\n");
        }

        foreach (var f in report.LogFindings)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{f.Label}: log index {f.LogIndex} (uuid {f.Uuid}): {f.Detail}\n");
        }

        foreach (var s in report.ByIntent)
        {
            sb.Append(CultureInfo.InvariantCulture, $"explained by intent: log index {s.LogIndex} is a sighting of {s.Reference} as {s.Digest} that a published intent sent; no pin holds it (a stop between the log and the store)\n");
        }

        var findings = report.Findings;
        sb.Append(CultureInfo.InvariantCulture, $"audit: {report.EntriesRead} entries read from log index {from}, {report.Ours} of ours, {report.Published} bundles published; ")
            .Append(findings == 0 ? "nothing to report" : string.Create(CultureInfo.InvariantCulture, $"{findings} findings"))
            .Append('\n');
        return sb.ToString();
    }

    public static string Json(AuditReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteBoolean("clean", report.IsClean);
            w.WriteNumber("entriesRead", report.EntriesRead);
            w.WriteNumber("ours", report.Ours);
            w.WriteNumber("published", report.Published);
            w.WriteStartArray("conflicts");
            foreach (var c in report.Conflicts)
            {
                w.WriteStartObject();
                w.WriteString("reference", c.Reference.Canonical);
                w.WriteStartArray("sightings");
                foreach (var s in c.Sightings)
                {
                    w.WriteStartObject();
                    w.WriteString("digest", s.Digest.ToString());
                    w.WriteNumber("logIndex", s.LogIndex);
                    w.WriteString("logId", s.LogId);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("unexplained");
            foreach (var e in report.Unexplained)
            {
                w.WriteStartObject();
                w.WriteNumber("logIndex", e.LogIndex);
                w.WriteString("logId", e.LogId);
                w.WriteString("uuid", e.Uuid);
                w.WriteString("kind", e.Kind);
                WriteOptional(w, "reference", e.Sighting?.Reference.Canonical);
                WriteOptional(w, "digest", e.Sighting?.Digest.ToString());
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("badBundles");
            foreach (var b in report.BadBundles)
            {
                w.WriteStartObject();
                w.WriteNumber("logIndex", b.LogIndex);
                w.WriteString("logId", b.LogId);
                w.WriteString("reason", b.Failure);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("logFindings");
            foreach (var f in report.LogFindings)
            {
                w.WriteStartObject();
                w.WriteString("kind", f.Label);
                w.WriteNumber("logIndex", f.LogIndex);
                w.WriteString("uuid", f.Uuid);
                w.WriteString("reason", f.Detail);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("explainedByIntent");
            foreach (var s in report.ByIntent)
            {
                w.WriteStartObject();
                w.WriteNumber("logIndex", s.LogIndex);
                w.WriteString("logId", s.LogId);
                w.WriteString("reference", s.Reference.Canonical);
                w.WriteString("digest", s.Digest.ToString());
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}
