using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tlogistry.Transparency.Envelopes;

namespace Tlogistry.Ledger;

/// <summary>What a sighting says, before it is signed and logged.</summary>
internal sealed record SightingClaim(string Reference, string Digest, string MediaType, DateTimeOffset ObservedAt, string Upstream, string Identity);

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
        var refHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(claim.Reference)));
        var (alg, hex) = SplitDigest(claim.Digest);
        var repository = claim.Reference[..claim.Reference.LastIndexOf(':')];
        InTotoSubject[] subjects =
        [
            new(claim.Reference, new Dictionary<string, string> { ["sha256"] = refHash }),
            new(repository, new Dictionary<string, string> { [alg] = hex }),
        ];
        return InTotoStatement.Write(subjects, PredicateType, w =>
        {
            w.WriteStartObject();
            w.WriteString("tag", claim.Reference);
            w.WriteString("digest", claim.Digest);
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
            var claim = new SightingClaim(
                Str(p, "tag"),
                Str(p, "digest"),
                Str(p, "mediaType"),
                DateTimeOffset.Parse(Str(p, "observedAt"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                Str(p, "upstream"),
                Str(p, "instance"));

            // The subjects are what a log search sees: they must say the same as the predicate.
            var subjects = root.GetProperty("subject");
            var refHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(claim.Reference)));
            var (alg, hex) = SplitDigest(claim.Digest);
            var hasRef = false;
            var hasDigest = false;
            foreach (var s in subjects.EnumerateArray())
            {
                var d = s.GetProperty("digest");
                hasRef |= Str(s, "name") == claim.Reference && d.TryGetProperty("sha256", out var r) && r.GetString() == refHash;
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

    private static (string Alg, string Hex) SplitDigest(string digest)
    {
        var colon = digest.IndexOf(':', StringComparison.Ordinal);
        return colon <= 0 ? throw new FormatException("bad digest " + digest) : (digest[..colon], digest[(colon + 1)..]);
    }
}
