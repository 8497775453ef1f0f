using Tlogistry.Fuzzing;
using Tlogistry.Transparency.Notes;

namespace Tlogistry.Tests.Fuzz;

/// <summary>Minimised inputs on which a fuzz target once failed; each must now hold every property.</summary>
public sealed class FuzzRegressionTests
{
    // EC SubjectPublicKeyInfos (key types 0x02 and 0x05) whose named-curve OID is mangled: the
    // OS crypto library knows no such curve and throws PlatformNotSupportedException, which
    // escaped FromVkey instead of its documented FormatException.
    private static readonly string EcdsaUnknownCurve = "a+aaaaaaaa+AjBZMBMGByqGSM49AgEGCCaaaaaaaa0aA0IABO" + new string('a', 86);

    private static readonly string Rfc6962UnknownCurve = "a+aaaaaaaa+BTBZMBMGByqGSM49AgEGCCaaaaaaaa0aA0IABB" + new string('a', 86);

    public static TheoryData<string, string> Inputs => new()
    {
        { "vkey", EcdsaUnknownCurve },
        { "vkey", Rfc6962UnknownCurve },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void HoldsItsProperties(string target, string input) =>
        MutationFuzzer.Replay(FuzzTargets.Find(target)!, FuzzInput.Bytes(input));

    [Fact]
    public void VkeyOnAnUnknownCurveIsAFormatException()
    {
        foreach (var vkey in new[] { EcdsaUnknownCurve, Rfc6962UnknownCurve })
        {
            var error = Assert.Throws<FormatException>(() => NoteVerifiers.FromVkey(vkey));
            Assert.Contains("P-256", error.Message, StringComparison.Ordinal);
        }
    }
}
