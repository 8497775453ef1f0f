namespace Tlogistry.Tests.Support.Data;

/// <summary>
/// Locates the third-party test data in ../shared/fixtures beside the repository.
/// Tests that need it call <see cref="Require"/>, which skips with a reason when the
/// folder is absent (a user's own clone) so that every other test still runs.
/// </summary>
internal static class Fixtures
{
    private static readonly Lazy<string?> RootDir = new(Find);

    public static string? Root => RootDir.Value;

    /// <summary>Returns the absolute path of a fixture file or folder, or skips the test.</summary>
    public static string Require(params string[] parts)
    {
        var root = Root;
        if (root is null)
        {
            Assert.Skip("../shared/fixtures is not present beside this clone; third-party vector tests are skipped.");
        }

        var path = Path.Combine([root, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            Assert.Skip($"fixture {Path.Combine(parts)} is not present in {root}.");
        }

        return path;
    }

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("TLOGISTRY_FIXTURES");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
        {
            return env;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "fixtures");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
