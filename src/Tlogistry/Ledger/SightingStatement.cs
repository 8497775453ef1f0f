using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tlogistry.Oci;
using Tlogistry.Signing;
using Tlogistry.Transparency.Envelopes;

namespace Tlogistry.Ledger;

/// <summary>What a sighting says, before it is signed and logged.</summary>
internal sealed record SightingClaim(TagReference Reference, Digest Digest, string MediaType, DateTimeOffset ObservedAt, string Upstream, string Identity);

/// <summary>
/// The public, permanent record format: an in-toto Statement v1 whose first subject is the
/// canonical tag reference (named by the SHA-256 of the reference string, so a log search
/// by that hash finds it) and whose second is the manifest digest. Changing anything
/// written here breaks readers of entries already in public logs.
/// </summary>
internal static class SightingStatement
{
    public const string PredicateType = "https://tlogistry.dev/sighting/v1";

    public static byte[] Encode(SightingClaim claim)
    {
        var reference = claim.Reference.Canonical;
        var refHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(reference)));
        InTotoSubject[] subjects =
        [
            new(reference, new Dictionary<string, string> { ["sha256"] = refHash }),
            new(claim.Reference.Name.Canonical, new Dictionary<string, string> { [claim.Digest.Algorithm] = claim.Digest.Hex }),
        ];
        return InTotoStatement.Write(subjects, PredicateType, w =>
        {
            w.WriteStartObject();
            w.WriteString("tag", reference);
            w.WriteString("digest", claim.Digest.ToString());
            w.WriteString("mediaType", claim.MediaType);
            w.WriteString("observedAt", claim.ObservedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            w.WriteString("upstream", claim.Upstream);
            w.WriteString("instance", claim.Identity);
            w.WriteEndObject();
        });
    }

    /// <summary>Reads a statement back; throws <see cref="FormatException"/> when it is not a sighting.</summary>
    public static SightingClaim Decode(ReadOnlySpan<byte> statement)
    {
        try
        {
            using var doc = JsonDocument.Parse(statement.ToArray());
            var root = doc.RootElement;
            if (root.GetProperty("_type").GetString() != InTotoStatement.StatementType)
            {
                throw new FormatException("not an in-toto Statement v1");
            }

            if (root.GetProperty("predicateType").GetString() != PredicateType)
            {
                throw new FormatException("predicateType is not " + PredicateType);
            }

            var p = root.GetProperty("predicate");
            var reference = Str(p, "tag");
            var claim = new SightingClaim(
                TagReference.ParseCanonical(reference),
                Digest.Parse(Str(p, "digest")),
                Str(p, "mediaType"),
                DateTimeOffset.Parse(Str(p, "observedAt"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                Str(p, "upstream"),
                Str(p, "instance"));

            // The subjects are what a log search sees: they must say the same as the predicate.
            var subjects = root.GetProperty("subject");
            var refHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(reference)));
            var (alg, hex) = (claim.Digest.Algorithm, claim.Digest.Hex);
            var hasRef = false;
            var hasDigest = false;
            foreach (var s in subjects.EnumerateArray())
            {
                var d = s.GetProperty("digest");
                hasRef |= Str(s, "name") == reference && d.TryGetProperty("sha256", out var r) && r.GetString() == refHash;
                hasDigest |= d.TryGetProperty(alg, out var m) && m.GetString() == hex;
            }

            if (!hasRef || !hasDigest)
            {
                throw new FormatException("statement subjects do not match its predicate");
            }

            return claim;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("not a sighting statement: " + e.Message, e);
        }
    }

    private static string Str(JsonElement e, string name) =>
        e.GetProperty(name).GetString() ?? throw new FormatException($"{name} is null");
}
