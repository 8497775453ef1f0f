using System.Text.Json.Nodes;
using Tlogistry.Transparency.Notes;

namespace Tlogistry.Tests.Transparency.Notes;

/// <summary>
/// checkpoints.json parsed strictly (c2sp_strict_valid), the origin checks, and the Tessera
/// test log's signed checkpoints.
/// </summary>
public sealed class CheckpointVectorTests
{
    private const string SumDbOrigin = "go.sum database tree";

    public static TheoryData<string> BodyIds => NoteFixtures.Ids(NoteFixtures.Checkpoints);

    public static TheoryData<string> OriginCheckIds => NoteFixtures.Ids(NoteFixtures.Checkpoints, "origin_checks");

    public static TheoryData<int> TesseraSizes => [.. Enumerable.Range(0, 16)];

    [Theory(SkipTestWithoutData = true)]
    [MemberData(nameof(BodyIds))]
    public void BodyParsesStrictly(string id)
    {
        var vector = NoteFixtures.Vector(NoteFixtures.Checkpoints, id);
        var body = (string)vector["body"]!;

        if ((string)vector["parser"]! == "gomod-sumdb")
        {
            // golang/mod's tree parser also fixes the origin; apply that rule on top of the strict parse.
            var valid = (bool)vector["valid"]!;
            Assert.Equal(valid, TryParse(body)?.Origin == SumDbOrigin);
            if (!valid)
            {
                return;
            }
        }
        else if (!((bool?)vector["c2sp_strict_valid"] ?? (bool)vector["valid"]!))
        {
            // Invalid vectors carry no c2sp_strict_valid: the lenient parser's rejection stands.
            Assert.Throws<FormatException>(() => Checkpoint.Parse(body));
            return;
        }

        var expected = vector["expected"]!.AsObject();
        var checkpoint = Checkpoint.Parse(body);
        Assert.Equal((string)expected["origin"]!, checkpoint.Origin);
        Assert.Equal((long)expected["size"]!, checkpoint.Size);
        Assert.Equal((string)expected["root_hash_base64"]!, Convert.ToBase64String(checkpoint.RootHash));
        Assert.Equal((int)expected["root_hash_len"]!, checkpoint.RootHash.Length);
        Assert.Equal((string)expected["rest"]!, string.Concat(checkpoint.Extensions.Select(e => e + "\n")));
        Assert.Equal(body, checkpoint.Format());
    }

    [Fact]
    public void FixtureHasStrictlyValidAndInvalidBodies()
    {
        var vectors = NoteFixtures.Load(NoteFixtures.Checkpoints)["vectors"]!.AsArray();
        Assert.Equal(18, vectors.Count);
        Assert.Equal(2, vectors.Count(v => (bool?)v!["c2sp_strict_valid"] == true));
    }

    [Theory(SkipTestWithoutData = true)]
    [MemberData(nameof(OriginCheckIds))]
    public void SignedCheckpointMatchesExpectedOrigin(string id)
    {
        var vector = NoteFixtures.Vector(NoteFixtures.Checkpoints, id, "origin_checks");
        var opened = NoteOpener.Open((string)vector["signed_note"]!, NoteFixtures.Verifiers(vector));
        var checkpoint = Checkpoint.Parse(opened.Text);

        var matches = checkpoint.Origin == (string)vector["expected_origin"]!;
        Assert.Equal((bool)vector["valid"]!, matches);
        if (matches)
        {
            Assert.Equal((long)vector["expected_size"]!, checkpoint.Size);
        }
    }

    [Theory]
    [MemberData(nameof(TesseraSizes))]
    public void TesseraCheckpointVerifies(int size)
    {
        var log = TesseraLog();
        var path = Fixtures.Require("merkle", "tlog-tiles", "tessera-testdata-log", $"checkpoint.{size}");
        var bytes = File.ReadAllBytes(path);

        var opened = NoteOpener.Open(bytes, [NoteVerifiers.FromVkey((string)log["vkey"]!)]);
        var checkpoint = Checkpoint.Parse(opened.Text);

        var expected = log["checkpoints"]!.AsArray().Single(c => (int)c!["tree_size"]! == size)!;
        Assert.Equal((string)log["origin"]!, checkpoint.Origin);
        Assert.Equal(size, checkpoint.Size);
        Assert.Equal(Convert.FromHexString((string)expected["root_hash_hex"]!), checkpoint.RootHash);
        Assert.Empty(checkpoint.Extensions);

        // Ed25519 is deterministic, so re-signing with the published test key reproduces the file.
        var signer = Ed25519NoteSigner.FromSkey((string)log["skey"]!);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(bytes), NoteOpener.Sign(checkpoint.Format(), signer));
    }

    [Fact]
    public void TesseraLatestCheckpointIsTheFifteenEntryOne()
    {
        var log = TesseraLog();
        var text = File.ReadAllText(Fixtures.Require("merkle", "tlog-tiles", "tessera-testdata-log", "checkpoint"));
        var opened = NoteOpener.Open(text, [NoteVerifiers.FromVkey((string)log["vkey"]!)]);
        Assert.Equal(15, Checkpoint.Parse(opened.Text).Size);
    }

    private static Checkpoint? TryParse(string body)
    {
        try
        {
            return Checkpoint.Parse(body);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static JsonObject TesseraLog() =>
        JsonNode.Parse(File.ReadAllText(Fixtures.Require("merkle", "tlog-tiles", "tessera-testdata-log.json")))!.AsObject();
}
