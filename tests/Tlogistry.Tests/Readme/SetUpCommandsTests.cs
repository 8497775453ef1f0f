namespace Tlogistry.Tests.Readme;

/// <summary>
/// The README's two set-up commands are what CI runs: the test command is <c>.ci/run</c>'s only
/// command, and it installs what the tests need before running them, or says what to run.
/// </summary>
public sealed class SetUpCommandsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void TheReadmeHasTwoSetUpCommandsAndCiRunsExactlyTheTestOne()
    {
        var commands = SetUpCommands();
        Assert.Equal(2, commands.Count);

        // One runs the service on its embedded defaults, from a project that is in the clone.
        const string Run = "dotnet run --project ";
        Assert.StartsWith(Run, commands[0], StringComparison.Ordinal);
        var project = commands[0][Run.Length..].Split(' ')[0];
        Assert.True(Directory.Exists(RepositoryRoot.Combine(project)), $"the README runs {project}, which is not in the clone");
        Assert.EndsWith(" -- serve", commands[0], StringComparison.Ordinal);

        // The other is the one command of .ci/run, so a green CI run is a green README.
        Assert.Equal([commands[1]], ScriptCommands(RepositoryRoot.Combine(".ci", "run")));
    }

    [Fact]
    public void TheTestCommandInstallsTheTestToolsBeforeItRunsTheTests()
    {
        var commands = ScriptCommands(RepositoryRoot.Combine("scripts", "test.sh"));
        var install = commands.FindIndex(c => c == "bash scripts/install-test-deps.sh");
        var test = commands.FindIndex(c => c.StartsWith("dotnet test ", StringComparison.Ordinal));
        Assert.True(install >= 0 && test > install, "scripts/test.sh must run scripts/install-test-deps.sh before dotnet test:\n" + string.Join('\n', commands));
    }

    [Trait("Category", "E2E")]
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task WithoutRootAMissingToolStopsTheInstallWithTheListAndTheCommandToRun()
    {
        // A machine whose PATH has only a shell and the few utilities the script itself uses:
        // the registry, skopeo, podman and kubectl are "missing" there.
        using var sandbox = new TempDirectory();
        File.SetUnixFileMode(sandbox.Path, (UnixFileMode)Convert.ToInt32("755", 8));
        var bin = Directory.CreateDirectory(sandbox.Combine("bin")).FullName;
        foreach (var tool in new[] { "bash", "id", "ls", "sort", "tail" })
        {
            File.CreateSymbolicLink(Path.Combine(bin, tool), Tool.Require(tool, "coreutils"));
        }

        var script = sandbox.Combine("install-test-deps.sh");
        File.Copy(RepositoryRoot.Combine("scripts", "install-test-deps.sh"), script);
        File.SetUnixFileMode(script, (UnixFileMode)Convert.ToInt32("644", 8));

        // As root (CI), run it as nobody; as anyone else, as that user.
        var bash = Tool.Require("bash", "bash");
        List<string> command = IsRoot()
            ? [Tool.Require("setpriv", "util-linux"), "--reuid=65534", "--regid=65534", "--clear-groups", "--", bash, script]
            : [bash, script];
        var result = await Tool.RunAsync(
            command[0],
            command.Skip(1),
            environment: new Dictionary<string, string> { ["PATH"] = bin },
            workingDirectory: sandbox.Path,
            check: false,
            cancellationToken: Ct);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("the tests need Debian packages that are missing: docker-registry skopeo podman", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("kubernetes-client", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("  sudo bash scripts/install-test-deps.sh", result.StandardError, StringComparison.Ordinal);
        Assert.Equal("", result.StandardOutput);
    }

    private static bool IsRoot() => File.ReadLines("/proc/self/status").Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0");

    /// <summary>The commands of the README's first code block under "## Set up", without comments.</summary>
    private static List<string> SetUpCommands()
    {
        var lines = File.ReadAllLines(RepositoryRoot.Combine("README.md"));
        var section = Array.IndexOf(lines, "## Set up");
        Assert.True(section >= 0, "the README has no \"## Set up\" section");
        var open = Array.FindIndex(lines, section, l => l.StartsWith("```", StringComparison.Ordinal));
        var close = Array.FindIndex(lines, open + 1, l => l.StartsWith("```", StringComparison.Ordinal));
        return [.. lines[(open + 1)..close].Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];
    }

    /// <summary>A script's commands, without its comments and its preamble (strict mode, cd to the clone).</summary>
    private static List<string> ScriptCommands(string path) =>
        [.. File.ReadAllLines(path).Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#') && l != "set -euo pipefail" && !l.StartsWith("cd \"$(dirname \"$0\")", StringComparison.Ordinal))];
}
