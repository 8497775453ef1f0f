using Tlogistry.Fuzzing;
using Tlogistry.Tests.Oci;
using Tlogistry.Tests.Upstream;

namespace Tlogistry.Tests.Fuzz;

/// <summary>
/// A short, deterministic run of every fuzz target (fuzz/Tlogistry.Fuzz) in the normal suite,
/// seeded with the unit-test tables and the shared fixtures, so a parser change that breaks a
/// fuzz property fails here. Long runs are scripts/fuzz.sh.
/// </summary>
public sealed class FuzzTests
{
    // Per target: a fixed number of mutations, cut short by time on a slow machine, so all
    // nine targets together stay well under 20 s.
    private const int Executions = 20_000;
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(1.5);

    private static readonly Lazy<Dictionary<string, List<byte[]>>> Fixtures = new(() => FixtureSeeds.Load());

    public static TheoryData<string> Targets => [.. FuzzTargets.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void HoldsItsPropertiesUnderMutation(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var seeds = TableSeeds(name).Select(FuzzInput.Bytes).Concat(Fixtures.Value[name]);

        // A failure throws FuzzFailure with the minimised input, ready for a regression test.
        var stats = MutationFuzzer.Run(target, seeds, TimeLimit, Executions, seed: 20261128);

        TestContext.Current.TestOutputHelper?.WriteLine(stats.ToString());
        Assert.True(stats.Executions > target.Seeds.Count, stats.ToString());
    }

    [Fact]
    public void EveryTargetHasSeedsAndTokens() =>
        Assert.All(FuzzTargets.All, t => Assert.True(t.Seeds.Count > 0 && t.Tokens.Count > 0, t.Name));

    [Fact]
    public void FuzzBytesCarryLoneSurrogates()
    {
        // Byte mutations must be able to reach malformed UTF-16, which the note parser rejects.
        const string text = "a\ud800b\udc00\U0001F600\u2014";
        Assert.Equal(text, FuzzInput.Text(FuzzInput.Bytes(text)));
        Assert.Equal("\ufffd\ufffda", FuzzInput.Text([0xc0, 0x80, (byte)'a']));
    }

    /// <summary>The inputs of the unit-test tables for a target.</summary>
    private static IEnumerable<string> TableSeeds(string target) => target switch
    {
        "name" => Column(ImageNameParserTests.Cases, 0),
        "route" => Rows(RegistryRouteTests.Cases).Select(r => $"{r[0]} {r[1]}"),
        "mirror" => Rows(MirrorNamespaceTests.Cases).Select(r => $"{((string)r[1]!).Replace('|', '\t')}\n{r[0]}"),
        "digest-tag" => Column(DigestTests.Cases, 0).Concat(Column(TagTests.Cases, 0)),
        "www-authenticate" => Column(WwwAuthenticateTests.Cases, 0),
        _ => [],
    };

    private static IEnumerable<object?[]> Rows(IEnumerable<ITheoryDataRow> rows) => rows.Select(r => r.GetData());

    private static IEnumerable<string> Column(IEnumerable<ITheoryDataRow> rows, int index) =>
        Rows(rows).Select(r => r[index]).OfType<string>();
}
