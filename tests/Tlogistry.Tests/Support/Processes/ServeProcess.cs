using System.Globalization;
using System.Text.RegularExpressions;

namespace Tlogistry.Tests.Support.Processes;

/// <summary>
/// <c>tlogistry serve</c> from the test output folder as its own process on a port the OS
/// picks, so that it can be killed with SIGKILL or stopped with SIGTERM like a deployed
/// service. Requests go to 127.0.0.1 only.
/// </summary>
internal sealed partial class ServeProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly ChildProcess _process;

    private ServeProcess(ChildProcess process, int port)
    {
        _process = process;
        BaseUri = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/"));
    }

    public Uri BaseUri { get; }

    public string StandardOutput => _process.StandardOutput;

    /// <summary>How many log entries the start re-indexed, from its start-up line.</summary>
    public int Reindexed => int.Parse(ReindexedLine().Match(StandardOutput).Groups[1].Value, CultureInfo.InvariantCulture);

    private static string Dll => Path.Combine(AppContext.BaseDirectory, "tlogistry.dll");

    // The executable's own path, not /usr/bin/env: SIGTERM finds the service by its argv[0].
    private static string Dotnet => Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : Tool.Require("dotnet", "dotnet-sdk-10.0");

    /// <summary>
    /// Starts the service and returns once it listens; throws with its output when it exits instead.
    /// <paramref name="flags"/> go after the data directory and upstreams; <paramref name="environment"/> is added to the test's.
    /// </summary>
    public static async Task<ServeProcess> StartAsync(
        string dataDir,
        IEnumerable<string> upstreams,
        CancellationToken cancellationToken,
        IEnumerable<string>? flags = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var process = Launch(dataDir, upstreams, flags, environment);
        try
        {
            var deadline = DateTime.UtcNow + StartTimeout;
            while (DateTime.UtcNow < deadline)
            {
                if (ListeningLine().Match(process.StandardOutput) is { Success: true } m)
                {
                    return new ServeProcess(process, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
                }

                if (process.HasExited)
                {
                    await process.WaitForExitAsync(TimeSpan.FromSeconds(5), cancellationToken);
                    throw new InvalidOperationException(
                        $"tlogistry serve exited with {process.ExitCode} instead of listening\nstderr:\n{process.StandardError}\nstdout:\n{process.StandardOutput}");
                }

                await Task.Delay(20, cancellationToken);
            }

            throw new TimeoutException($"tlogistry serve did not listen within {StartTimeout.TotalSeconds:0} s\nstdout:\n{process.StandardOutput}");
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs a start that is expected to be refused; returns its exit code and standard error.</summary>
    public static async Task<(int ExitCode, string StandardError)> RunRefusedAsync(string dataDir, IEnumerable<string> upstreams, CancellationToken cancellationToken, IEnumerable<string>? flags = null)
    {
        await using var process = Launch(dataDir, upstreams, flags ?? []);
        if (!await process.WaitForExitAsync(StartTimeout, cancellationToken))
        {
            throw new InvalidOperationException($"tlogistry serve kept running on a data directory it should refuse\nstdout:\n{process.StandardOutput}");
        }

        return (process.ExitCode, process.StandardError);
    }

    /// <summary>SIGKILL to the whole process tree, then waits for it to be gone.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>SIGTERM, then waits for a graceful exit; returns the exit code.</summary>
    public async Task<int> StopAsync(CancellationToken cancellationToken)
    {
        await _process.TerminateAsync(cancellationToken);
        return await _process.WaitForExitAsync(TimeSpan.FromSeconds(30), cancellationToken)
            ? _process.ExitCode
            : throw new TimeoutException("tlogistry serve did not stop within 30 s of SIGTERM");
    }

    /// <summary>One field of the service's /proc/PID/status in bytes (VmRSS: resident now; VmHWM: the peak).</summary>
    public async Task<long> StatusBytesAsync(string field, CancellationToken cancellationToken)
    {
        var pid = await _process.CommandPidAsync(cancellationToken);
        foreach (var line in await File.ReadAllLinesAsync($"/proc/{pid}/status", cancellationToken))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return 1024 * long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"no {field} in /proc/{pid}/status");
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static ChildProcess Launch(string dataDir, IEnumerable<string> upstreams, IEnumerable<string>? flags = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        List<string> args = ["serve", "--port", "0", "--data-dir", dataDir];
        foreach (var u in upstreams)
        {
            args.AddRange(["--upstream", u]);
        }

        args.AddRange(flags ?? []);
        return ChildProcess.Start(Dotnet, [Dll, .. args], environment);
    }

    // The service's own start-up line: written once the socket is bound, after the start-up reconcile
    // and intent resumption. Matched to its end, so a line caught half-written is not taken yet.
    [GeneratedRegex(@"tlogistry listening on port (\d+) of [^\n]*entries re-indexed from the log\)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"\((\d+) entries re-indexed from the log\)")]
    private static partial Regex ReindexedLine();
}
