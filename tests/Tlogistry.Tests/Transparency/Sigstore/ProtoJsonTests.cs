using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Transparency.Sigstore;

/// <summary>
/// Bundles, log entries and trusted roots are read as the protobuf JSON mapping defines them:
/// the real public-good bundles, re-serialised the ways other writers do (zero fields dropped,
/// int64 as numbers or strings, proto field names), read to the same entry and still verify;
/// hostile variants are refused with an error naming the field.
/// </summary>
public sealed class ProtoJsonTests
{
    private const string EntryPath = "verificationMaterial.tlogEntries[0]";

    private static readonly string[] Int64Fields = ["logIndex", "treeSize", "integratedTime"];

    public static TheoryData<string> Bundles => BundleVerifierTests.Bundles;

    [Theory]
    [MemberData(nameof(Bundles))]
    public void Int64AsNumbersReadsTheSameBundle(string name)
    {
        var original = SigstoreFixtures.Bundle(name);

        var rewritten = Reread(name, node => RewriteInt64(node, asNumber: true));

        AssertSameEntry(original.Entry, rewritten.Entry);
        Verify(rewritten, name);
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void Int64AsStringsReadsTheSameBundle(string name)
    {
        var original = SigstoreFixtures.Bundle(name);

        var rewritten = Reread(name, node => RewriteInt64(node, asNumber: false));

        AssertSameEntry(original.Entry, rewritten.Entry);
        Verify(rewritten, name);
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void ProtoFieldNamesReadTheSameBundle(string name)
    {
        var original = SigstoreFixtures.Bundle(name);

        var rewritten = Reread(name, SnakeCaseNames);

        AssertSameEntry(original.Entry, rewritten.Entry);
        Verify(rewritten, name);
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void ZeroFieldsDroppedReadAsZeroValues(string name)
    {
        // The entry moved to index 0 of a one-leaf tree, as sigstore-js writes it: no logIndex,
        // no integratedTime, no hashes at all; the explicit form must read to the same entry.
        static void AtZero(JsonNode node)
        {
            var entry = node["verificationMaterial"]!["tlogEntries"]![0]!.AsObject();
            entry["logIndex"] = "0";
            entry["integratedTime"] = "0";
            entry["inclusionProof"]!["logIndex"] = "0";
            entry["inclusionProof"]!["hashes"] = new JsonArray();
        }

        var explicitZeros = Reread(name, AtZero);
        var dropped = Reread(name, node =>
        {
            AtZero(node);
            DropZeros(node);
        });

        var text = Encoding.UTF8.GetString(Rewrite(name, node =>
        {
            AtZero(node);
            DropZeros(node);
        }));
        Assert.DoesNotContain("\"logIndex\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"hashes\"", text, StringComparison.Ordinal);
        Assert.Equal(0, dropped.Entry.LogIndex);
        Assert.Equal(0, dropped.Entry.IntegratedTime);
        Assert.Empty(dropped.Entry.InclusionProof!.Hashes);
        Assert.Equal(0, dropped.Entry.InclusionProof.LogIndex);
        AssertSameEntry(explicitZeros.Entry, dropped.Entry);
    }

    [Theory]
    [MemberData(nameof(Bundles))]
    public void WrittenBundleReadsBackTheSame(string name)
    {
        var original = SigstoreFixtures.Bundle(name);

        var again = BundleJson.Read(BundleJson.Write(original));

        AssertSameEntry(original.Entry, again.Entry);
        Assert.Equal(original.Material.Rfc3161Timestamps.Count, again.Material.Rfc3161Timestamps.Count);
        Verify(again, name);
    }

    [Fact]
    public void TimestampsOfTheRealBundlesAreRead()
    {
        Assert.Single(SigstoreFixtures.Bundle("rekor-v2-dsse").Material.Rfc3161Timestamps);
        Assert.Single(SigstoreFixtures.Bundle("rekor-v1-hashedrekord-pubkey").Material.Rfc3161Timestamps);
        Assert.Empty(SigstoreFixtures.Bundle("rekor-v1-intoto-v002").Material.Rfc3161Timestamps);
    }

    [Theory]
    [InlineData("logIndex", "true", EntryPath + ".logIndex is not an int64 (it is a boolean)")]
    [InlineData("logIndex", "1e30", EntryPath + ".logIndex is not an int64")]
    [InlineData("logIndex", "\"99999999999999999999\"", EntryPath + ".logIndex is not an int64")]
    [InlineData("logIndex", "\"12abc\"", EntryPath + ".logIndex is not an int64")]
    [InlineData("logIndex", "1.5", EntryPath + ".logIndex is not an int64")]
    [InlineData("logIndex", "\"-1\"", EntryPath + ".logIndex is negative")]
    [InlineData("logIndex", "{}", EntryPath + ".logIndex is not an int64 (it is an object)")]
    [InlineData("integratedTime", "[]", EntryPath + ".integratedTime is not an int64 (it is an array)")]
    [InlineData("canonicalizedBody", "null", EntryPath + " has no canonicalizedBody")]
    [InlineData("canonicalizedBody", "5", EntryPath + ".canonicalizedBody is not a base64 string (it is a number)")]
    [InlineData("canonicalizedBody", "\"not base64!\"", EntryPath + ".canonicalizedBody is not base64")]
    [InlineData("kindVersion", "[]", EntryPath + ".kindVersion is not an object (it is an array)")]
    [InlineData("kindVersion", "null", EntryPath + " has no kindVersion")]
    [InlineData("logId", "\"abc\"", EntryPath + ".logId is not an object (it is a string)")]
    [InlineData("inclusionProof", "7", EntryPath + ".inclusionProof is not an object (it is a number)")]
    public void HostileEntryFieldsAreRefusedNamingTheField(string field, string json, string reason)
    {
        var e = Assert.Throws<FormatException>(() => Reread("rekor-v2-dsse", node => node["verificationMaterial"]!["tlogEntries"]![0]![field] = JsonNode.Parse(json)));

        Assert.StartsWith("malformed bundle: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hashes", "\"AA==\"", EntryPath + ".inclusionProof.hashes is not an array (it is a string)")]
    [InlineData("hashes", "[1]", EntryPath + ".inclusionProof.hashes[0] is not a base64 string")]
    [InlineData("hashes", "[null]", EntryPath + ".inclusionProof.hashes[0] is not a base64 string")]
    [InlineData("treeSize", "18446744073709551616", EntryPath + ".inclusionProof.treeSize is not an int64")]
    [InlineData("rootHash", "null", EntryPath + ".inclusionProof has no rootHash")]
    [InlineData("checkpoint", "\"x\"", EntryPath + ".inclusionProof.checkpoint is not an object (it is a string)")]
    public void HostileProofFieldsAreRefusedNamingTheField(string field, string json, string reason)
    {
        var e = Assert.Throws<FormatException>(() => Reread("rekor-v2-dsse", node => node["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]![field] = JsonNode.Parse(json)));

        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"publicKey\":{},\"tlogEntries\":{}}", "verificationMaterial.tlogEntries is not an array (it is an object)")]
    [InlineData("{\"certificate\":{\"rawBytes\":7},\"tlogEntries\":[]}", "verificationMaterial.certificate.rawBytes is not a base64 string (it is a number)")]
    [InlineData("{\"certificate\":{},\"tlogEntries\":[]}", "verificationMaterial.certificate has no rawBytes")]
    [InlineData("null", "verificationMaterial is missing")]
    [InlineData("\"x\"", "verificationMaterial is not an object (it is a string)")]
    public void HostileMaterialIsRefusedNamingTheField(string json, string reason)
    {
        var e = Assert.Throws<FormatException>(() => Reread("rekor-v2-dsse", node => node["verificationMaterial"] = JsonNode.Parse(json)));

        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HostileTimestampIsRefusedNamingTheField()
    {
        var e = Assert.Throws<FormatException>(() => Reread("rekor-v2-dsse", node =>
            node["verificationMaterial"]!["timestampVerificationData"]!["rfc3161Timestamps"]![0]!["signedTimestamp"] = 12));

        Assert.Contains("verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp is not a base64 string", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HostileEnvelopeIsRefusedNamingTheField()
    {
        var e = Assert.Throws<FormatException>(() => Reread("rekor-v2-dsse", node => node["dsseEnvelope"]!["signatures"]![0]!["sig"] = false));

        Assert.Contains("dsseEnvelope.signatures[0].sig is not a base64 string (it is a boolean)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateAnswerWithoutZeroFieldsIsRead()
    {
        // A Rekor v2 create answer for the first entry of a log: no logIndex, no hashes.
        var answer = JsonNode.Parse(SigstoreFixtures.Bytes("rekor-v2-hashedrekord-create-entry-response.json"))!;
        answer["logIndex"] = "0";
        answer["inclusionProof"]!["logIndex"] = 0;
        answer["inclusionProof"]!["hashes"] = new JsonArray();
        DropZeros(answer);

        using var doc = System.Text.Json.JsonDocument.Parse(answer.ToJsonString());
        var entry = BundleJson.ReadEntry(doc.RootElement);

        Assert.Equal(0, entry.LogIndex);
        Assert.Empty(entry.InclusionProof!.Hashes);
        Assert.Equal(412115, entry.InclusionProof.TreeSize);
    }

    [Fact]
    public void TrustedRootWithProtoFieldNamesReadsTheSame()
    {
        var original = SigstoreFixtures.Root();
        var node = JsonNode.Parse(SigstoreFixtures.Bytes("trusted_root.json"))!;
        SnakeCaseNames(node);

        var read = TrustedRoot.Parse(Encoding.UTF8.GetBytes(node.ToJsonString()));

        Assert.Equal(original.Logs.Select(l => Convert.ToHexString(l.LogId)), read.Logs.Select(l => Convert.ToHexString(l.LogId)));
        Assert.Equal(original.TimestampAuthorities.Count, read.TimestampAuthorities.Count);
        Assert.Equal(original.CtLogs.Count, read.CtLogs.Count);
    }

    [Theory]
    [InlineData("tlogs", "{}", "tlogs is not an array (it is an object)")]
    [InlineData("timestampAuthorities", "[7]", "timestampAuthorities[0] is not an object")]
    [InlineData("timestampAuthorities", "[{\"certChain\":{\"certificates\":[{\"rawBytes\":\"AA==\"}]}}]", "timestampAuthorities[0] has no validFor")]
    [InlineData("certificateAuthorities", "[{\"certChain\":{\"certificates\":[{\"rawBytes\":null}]},\"validFor\":{\"start\":\"2021-01-01T00:00:00Z\"}}]", "certificateAuthorities[0].certChain.certificates[0] has no rawBytes")]
    public void HostileTrustedRootIsRefusedNamingTheField(string field, string json, string reason)
    {
        var node = JsonNode.Parse(SigstoreFixtures.Bytes("trusted_root.json"))!;
        node[field] = JsonNode.Parse(json);

        var e = Assert.Throws<FormatException>(() => TrustedRoot.Parse(Encoding.UTF8.GetBytes(node.ToJsonString())));

        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    private static SigstoreBundle Reread(string name, Action<JsonNode> change) => BundleJson.Read(Rewrite(name, change));

    private static byte[] Rewrite(string name, Action<JsonNode> change)
    {
        var node = JsonNode.Parse(SigstoreFixtures.Bytes(name + "-bundle.sigstore.json"))!;
        change(node);
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    private static void Verify(SigstoreBundle bundle, string name) =>
        new BundleVerifier(TrustedRoot.PublicGood).Verify(bundle, SigstoreFixtures.SignerFor(name), SigstoreFixtures.Now);

    private static void AssertSameEntry(TlogEntry expected, TlogEntry actual)
    {
        Assert.Equal(expected.LogIndex, actual.LogIndex);
        Assert.Equal(expected.LogId, actual.LogId);
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.IntegratedTime, actual.IntegratedTime);
        Assert.Equal(expected.SignedEntryTimestamp, actual.SignedEntryTimestamp);
        Assert.Equal(expected.CanonicalizedBody, actual.CanonicalizedBody);
        Assert.Equal(expected.InclusionProof is null, actual.InclusionProof is null);
        if (expected.InclusionProof is { } p)
        {
            Assert.Equal(p.LogIndex, actual.InclusionProof!.LogIndex);
            Assert.Equal(p.TreeSize, actual.InclusionProof.TreeSize);
            Assert.Equal(p.RootHash, actual.InclusionProof.RootHash);
            Assert.Equal(p.Hashes, actual.InclusionProof.Hashes);
            Assert.Equal(p.Checkpoint, actual.InclusionProof.Checkpoint);
        }
    }

    /// <summary>Every int64 field (logIndex, treeSize, integratedTime) as a JSON number or a decimal string.</summary>
    private static void RewriteInt64(JsonNode node, bool asNumber)
    {
        if (node is JsonObject o)
        {
            foreach (var (key, value) in o.ToList())
            {
                if (Int64Fields.Contains(key) && value is JsonValue v)
                {
                    var n = long.Parse(v.ToString(), CultureInfo.InvariantCulture);
                    o[key] = asNumber ? JsonValue.Create(n) : JsonValue.Create(n.ToString(CultureInfo.InvariantCulture));
                }
                else if (value is not null)
                {
                    RewriteInt64(value, asNumber);
                }
            }
        }
        else if (node is JsonArray a)
        {
            foreach (var item in a)
            {
                if (item is not null)
                {
                    RewriteInt64(item, asNumber);
                }
            }
        }
    }

    /// <summary>Drops what the protobuf JSON mapping omits: "0", 0, "", empty arrays.</summary>
    private static void DropZeros(JsonNode node)
    {
        if (node is JsonObject o)
        {
            foreach (var (key, value) in o.ToList())
            {
                var zero = value switch
                {
                    JsonArray { Count: 0 } => true,
                    JsonValue v => v.ToString() is "0" or "",
                    _ => false,
                };
                if (zero)
                {
                    o.Remove(key);
                }
                else if (value is not null)
                {
                    DropZeros(value);
                }
            }
        }
        else if (node is JsonArray a)
        {
            foreach (var item in a)
            {
                if (item is not null)
                {
                    DropZeros(item);
                }
            }
        }
    }

    /// <summary>Every member renamed to its proto field name (log_index, canonicalized_body, ...).</summary>
    private static void SnakeCaseNames(JsonNode node)
    {
        if (node is JsonObject o)
        {
            foreach (var (key, value) in o.ToList())
            {
                o.Remove(key);
                var snake = string.Concat(key.Select(c => char.IsAsciiLetterUpper(c) ? "_" + char.ToLowerInvariant(c) : c.ToString()));
                o[snake] = value;
                if (value is not null)
                {
                    SnakeCaseNames(value);
                }
            }
        }
        else if (node is JsonArray a)
        {
            foreach (var item in a)
            {
                if (item is not null)
                {
                    SnakeCaseNames(item);
                }
            }
        }
    }
}
