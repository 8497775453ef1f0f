using System.Text.Json;
using Tlogistry.Oci;

namespace Tlogistry.Ledger;

/// <summary>
/// Reads the records the Go tlogistry wrote (intoto entries whose statement has
/// predicateType <c>tlogistry-fetched</c> and predicate <c>{tag, digest}</c>) so that pins made
/// before a migration still hold. This format is only ever read, never written.
/// </summary>
internal static class LegacySighting
{
    public const string PredicateType = "tlogistry-fetched";

    /// <summary>True when the statement is in the legacy format (whatever its content).</summary>
    public static bool Is(ReadOnlySpan<byte> statement)
    {
        try
        {
            using var doc = JsonDocument.Parse(statement.ToArray());
            return doc.RootElement.TryGetProperty("predicateType", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == PredicateType;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The tag (canonicalised, as new records name it) and digest; throws <see cref="FormatException"/>.</summary>
    public static (TagReference Reference, Digest Digest) Decode(ReadOnlySpan<byte> statement)
    {
        try
        {
            using var doc = JsonDocument.Parse(statement.ToArray());
            var p = doc.RootElement.GetProperty("predicate");
            var tag = p.GetProperty("tag").GetString() ?? "";
            var digest = p.GetProperty("digest").GetString() ?? "";
            if (!TagReference.TryParse(tag, out var reference, out var error))
            {
                throw new FormatException("legacy sighting names no valid tag: " + error.Message);
            }

            if (!Oci.Digest.TryParse(digest, out var parsed, out _))
            {
                throw new FormatException("legacy sighting digest is not valid: " + Display.Quote(digest));
            }

            return (reference, parsed);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("not a legacy sighting: " + e.Message, e);
        }
    }
}
