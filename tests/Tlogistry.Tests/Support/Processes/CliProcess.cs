namespace Tlogistry.Tests.Support.Processes;

/// <summary>A <c>tlogistry</c> command run to its end as its own process, as a person runs it.</summary>
internal static class CliProcess
{
    public static async Task<(int ExitCode, string StandardOutput, string StandardError)> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : Tool.Require("dotnet", "dotnet-sdk-10.0");
        await using var process = ChildProcess.Start(dotnet, [Path.Combine(AppContext.BaseDirectory, "tlogistry.dll"), .. args], environment);
        if (!await process.WaitForExitAsync(TimeSpan.FromSeconds(120)))
        {
            throw new TimeoutException($"tlogistry {string.Join(' ', args)} did not end within 120 s\nstdout:\n{process.StandardOutput}\nstderr:\n{process.StandardError}");
        }

        return (process.ExitCode, process.StandardOutput, process.StandardError);
    }
}
