using System.Reflection;

namespace Tlogistry.Tests.Harness;

/// <summary>
/// Test methods are named in PascalCase, as the rest of the code: a sentence joined without
/// underscores (<c>RestartOnTheSameDirectoryKeepsEverything</c>), so one convention reads everywhere.
/// </summary>
public sealed class TestNamingTests
{
    private const BindingFlags Declared =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    [Fact]
    public void NoTestMethodNameHasAnUnderscore()
    {
        var tests = TestMethods();

        // The scan sees this very method, so an empty scan cannot pass for a clean one.
        Assert.Contains($"{typeof(TestNamingTests).FullName}.{nameof(NoTestMethodNameHasAnUnderscore)}", tests);
        Assert.Contains(tests, t => t.EndsWith("." + nameof(TheoryMethodsAreScannedToo), StringComparison.Ordinal));

        var underscored = tests.Where(t => t[(t.LastIndexOf('.') + 1)..].Contains('_', StringComparison.Ordinal)).ToList();
        Assert.True(underscored.Count == 0, $"test methods with '_' in their names:\n{string.Join('\n', underscored)}");
    }

    [Theory]
    [InlineData(0)]
    public void TheoryMethodsAreScannedToo(int zero) => Assert.Equal(0, zero);

    /// <summary>Every [Fact] and [Theory] (a Fact too) in this assembly, as Type.Method.</summary>
    private static List<string> TestMethods() =>
        [.. typeof(TestNamingTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(Declared), (t, m) => (Type: t, Method: m))
            .Where(x => x.Method.IsDefined(typeof(FactAttribute), inherit: true))
            .Select(x => $"{x.Type.FullName}.{x.Method.Name}")
            .Order(StringComparer.Ordinal)];
}
