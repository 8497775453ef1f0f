using System.Text;

namespace Tlogistry.Tests.Support.Processes;

/// <summary>What a finished command printed and returned.</summary>
public sealed record ToolResult(string CommandLine, int ExitCode, byte[] StandardOutputBytes, string StandardError)
{
    public string StandardOutput => Encoding.UTF8.GetString(StandardOutputBytes);
}

/// <summary>Runs external command-line tools with a hard time limit.</summary>
internal static class Tool
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Finds <paramref name="name"/> on PATH. E2E tests must fail loudly, not skip,
    /// when a tool is missing, because CI installs them and a skip would hide that.
    /// </summary>
    public static string Require(string name, string debianPackage)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/bin", "/usr/sbin", "/sbin"]))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"'{name}' was not found on PATH; the E2E tests need it (apt-get install {debianPackage}).");
    }

    /// <summary>Runs the tool; throws with its stdout and stderr on a non-zero exit or a timeout.</summary>
    public static async Task<ToolResult> RunAsync(
        string executable,
        IEnumerable<string> arguments,
        TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null,
        bool check = true,
        CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? DefaultTimeout;
        await using var child = ChildProcess.Start(executable, arguments, environment, workingDirectory);
        if (!await child.WaitForExitAsync(limit, cancellationToken))
        {
            // Disposal (await using) stops it.
            throw new TimeoutException(
                $"`{child.CommandLine}` did not finish within {limit.TotalSeconds:0} s\n" +
                $"stdout:\n{child.StandardOutput}\nstderr:\n{child.StandardError}");
        }

        var result = new ToolResult(child.CommandLine, child.ExitCode, child.StandardOutputBytes, child.StandardError);
        if (check && result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"`{result.CommandLine}` exited with {result.ExitCode}\n" +
                $"stdout:\n{result.StandardOutput}\nstderr:\n{result.StandardError}");
        }

        return result;
    }
}
