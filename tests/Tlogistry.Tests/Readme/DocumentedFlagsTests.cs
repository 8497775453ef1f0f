using System.CommandLine;
using System.CommandLine.Help;
using System.Text.RegularExpressions;
using Tlogistry.Commands;

namespace Tlogistry.Tests.Readme;

/// <summary>
/// docs/CONFIGURATION.md has a section per command (<c>## `tlogistry serve`</c>, …) whose table
/// has a row per flag: a flag added to the command line without a row, or a row left for a
/// flag that is gone, fails here.
/// </summary>
public sealed partial class DocumentedFlagsTests
{
    [Fact]
    public void EveryFlagOfEveryCommandHasARowInItsConfigurationTableAndEveryRowAFlag()
    {
        var page = File.ReadAllLines(RepositoryRoot.Combine("docs", "CONFIGURATION.md"));
        var commands = Commands(Cli.Create(), "tlogistry").Where(c => c.Flags.Count > 0).ToList();
        Assert.Contains(commands, c => c.Name == "tlogistry serve");
        Assert.Contains(commands, c => c.Name == "tlogistry log serve");

        var problems = new List<string>();
        foreach (var (name, flags) in commands)
        {
            if (Rows(page, name) is not { } rows)
            {
                problems.Add($"docs/CONFIGURATION.md has no \"## `{name}`\" section");
                continue;
            }

            problems.AddRange(flags.Except(rows).Select(f => $"{name} {f} has no row"));
            problems.AddRange(rows.Except(flags).Select(f => $"{name} has a row for {f}, which it does not take"));
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void ASectionWithoutAFlagsRowReadsAsMissingIt()
    {
        string[] page = ["## `tlogistry serve`", "", "| flag | meaning |", "|---|---|", "| `--port` | TCP port |", "| | `Tlogistry:Key` |", "", "## `tlogistry other`", "| `--data-dir D` | … |"];
        Assert.Equal(["--port"], Rows(page, "tlogistry serve"));
        Assert.Equal(["--data-dir"], Rows(page, "tlogistry other"));
        Assert.Null(Rows(page, "tlogistry log serve"));
    }

    /// <summary>The flags named by the first cell of each row of a command's section; null when there is no section.</summary>
    private static HashSet<string>? Rows(string[] page, string command)
    {
        var start = Array.IndexOf(page, $"## `{command}`");
        if (start < 0)
        {
            return null;
        }

        return [.. page.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal))
            .Select(l => FlagRow().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value)];
    }

    /// <summary>Every command below <paramref name="command"/>, with the flags it takes (help and version left out).</summary>
    private static IEnumerable<(string Name, HashSet<string> Flags)> Commands(Command command, string name)
    {
        yield return (name, [.. command.Options.Where(o => o is not HelpOption and not VersionOption).Select(o => o.Name)]);
        foreach (var sub in command.Subcommands)
        {
            foreach (var nested in Commands(sub, $"{name} {sub.Name}"))
            {
                yield return nested;
            }
        }
    }

    [GeneratedRegex(@"^\| `(--[a-z0-9-]+)")]
    private static partial Regex FlagRow();
}
