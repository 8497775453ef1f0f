using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tlogistry.Store;

namespace Tlogistry.Moves.Notify;

/// <summary>
/// A move as a CloudEvents 1.0 event in structured mode: the whole event is the JSON body,
/// sent as <see cref="ContentType"/>. Pure: the same move and format give the same bytes.
/// </summary>
internal sealed class MoveEvent
{
    public const string ContentType = "application/cloudevents+json; charset=utf-8";
    public const string EventType = "dev.tlogistry.tag.moved";
    public const string SpecVersion = "1.0";

    /// <summary>The <c>source</c> when no <c>--public-url</c> names the proxy.</summary>
    public const string DefaultSource = "urn:tlogistry";

    /// <summary>The paths the event links to, below the public URL when there is one.</summary>
    public const string MovesPath = "/tlog/moves";
    public const string HistoryPath = "/history";

    private MoveEvent(string id, byte[] body)
    {
        Id = id;
        Body = body;
    }

    /// <summary>
    /// The same for every delivery of this move, by every replica: a hash of the tag and the two
    /// digests, so a receiver drops a retry or a second replica's copy by <c>source</c> and <c>id</c>.
    /// </summary>
    public string Id { get; }

    public byte[] Body { get; }

    /// <summary>
    /// The event of <paramref name="move"/>. <paramref name="publicUrl"/> is the proxy's
    /// <c>--public-url</c> origin, or null: then <c>source</c> is <see cref="DefaultSource"/>
    /// and the links are paths for the reader to put after the proxy's address.
    /// </summary>
    public static MoveEvent Create(TagMove move, string? publicUrl)
    {
        ArgumentNullException.ThrowIfNull(move);
        var id = IdOf(move);
        var origin = string.IsNullOrEmpty(publicUrl) ? "" : publicUrl.TrimEnd('/');
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("specversion", SpecVersion);
            json.WriteString("id", id);
            json.WriteString("source", origin.Length > 0 ? origin : DefaultSource);
            json.WriteString("type", EventType);
            json.WriteString("subject", move.Tag.Canonical);
            json.WriteString("time", Rfc3339(move.FirstSeen));
            json.WriteString("datacontenttype", "application/json");
            json.WriteStartObject("data");
            json.WriteString("tag", move.Tag.Tag);
            json.WriteString("registry", move.Registry.Value);
            json.WriteString("repository", move.Tag.Name.Repository);
            json.WriteString("pinnedDigest", move.Pinned.ToString());
            json.WriteString("upstreamDigest", move.Upstream.ToString());
            json.WriteNumber("pinLogIndex", move.PinLogIndex);
            json.WriteString("firstSeen", Rfc3339(move.FirstSeen));
            json.WriteString("answer", AnswerOf(move) == MoveAnswer.ServedPinned ? "servedPinned" : "refused");
            json.WriteStartObject("links");
            json.WriteString("moves", origin + MovesPath);
            json.WriteString("history", $"{origin}{HistoryPath}?image={Uri.EscapeDataString(move.Tag.Name.ToString())}");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return new MoveEvent(id, buffer.ToArray());
    }

    /// <summary>
    /// What the proxy answered the pull that first saw the move: the record counts its answers,
    /// and at the first sighting only that one has been counted.
    /// </summary>
    public static MoveAnswer AnswerOf(TagMove move) =>
        move.PinnedServes > 0 && move.Refusals == 0 ? MoveAnswer.ServedPinned : MoveAnswer.Refused;

    /// <summary>Lowercase hex SHA-256 of the tag's canonical text and both digests, one per line.</summary>
    public static string IdOf(TagMove move)
    {
        ArgumentNullException.ThrowIfNull(move);
        var text = $"{move.Tag.Canonical}\n{move.Pinned}\n{move.Upstream}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>UTC with milliseconds and <c>Z</c>, a timestamp RFC 3339 (and so CloudEvents) accepts.</summary>
    private static string Rfc3339(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
