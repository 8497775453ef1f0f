using System.Globalization;
using System.Text.Json;
using Tlogistry.Oci;

namespace Tlogistry.Client.Moves;

/// <summary>
/// One row of a proxy's <c>/tlog/moves</c>, read strictly: a row with a field missing, of the
/// wrong kind, or a tag or digest that does not parse makes the whole answer malformed. Even
/// well formed, it is only what that proxy says it saw.
/// </summary>
internal sealed record MoveRow(
    TagReference Tag,
    string Registry,
    Digest Pinned,
    Digest Upstream,
    long PinLogIndex,
    string Verify,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    long Refusals,
    long PinnedServes)
{
    /// <exception cref="FormatException">Not a row of moves.</exception>
    public static MoveRow Read(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("a move is not a JSON object");
        }

        return new MoveRow(
            TagReference.TryParse(Text(e, "tag"), out var tag, out var bad) ? tag : throw new FormatException("tag: " + bad.Message),
            Text(e, "registry"),
            Digest.Parse(Text(e, "pinned")),
            Digest.Parse(Text(e, "upstream")),
            Number(e, "pinLogIndex"),
            Text(e, "verify"),
            Time(e, "firstSeen"),
            Time(e, "lastSeen"),
            Number(e, "refusals"),
            Number(e, "pinnedServes"));
    }

    /// <summary>The row as one JSON object, as the proxy's fields name it.</summary>
    public void Write(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("tag", Tag.Canonical);
        w.WriteString("registry", Registry);
        w.WriteString("pinned", Pinned.ToString());
        w.WriteString("upstream", Upstream.ToString());
        w.WriteNumber("pinLogIndex", PinLogIndex);
        w.WriteString("verify", Verify);
        w.WriteString("firstSeen", Rfc3339(FirstSeen));
        w.WriteString("lastSeen", Rfc3339(LastSeen));
        w.WriteNumber("refusals", Refusals);
        w.WriteNumber("pinnedServes", PinnedServes);
        w.WriteEndObject();
    }

    public static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new FormatException($"a move has no string \"{name}\"");

    private static long Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n >= 0 ? n : throw new FormatException($"a move has no count \"{name}\"");

    private static DateTimeOffset Time(JsonElement e, string name) =>
        DateTimeOffset.TryParse(Text(e, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : throw new FormatException($"a move's \"{name}\" is not a time");
}
