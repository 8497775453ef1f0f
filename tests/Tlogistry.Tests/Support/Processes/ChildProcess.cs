using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Tlogistry.Tests.Support.Processes;

/// <summary>
/// A child process that cannot outlive the test host. It runs under a small /bin/sh
/// watchdog that holds the read end of a pipe (its stdin) whose write end only this process
/// owns: when the host closes it on dispose, or exits for any reason, even SIGKILL, the
/// watchdog kills the command and reaps it, so no zombie is left for init. A tree that does
/// not end in time, and anything alive at the host's ProcessExit, gets SIGKILL instead.
/// Standard output and error are captured as bytes so raw manifests stay exact.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    // $1.. are the command and its arguments. fd 3 is the host's pipe; the child gets
    // /dev/null as stdin so that tools never wait for input or prompt.
    private const string Watchdog = """
        exec 3<&0 </dev/null
        "$@" 3<&- &
        c=$!
        { while read -r _ <&3; do :; done; kill -KILL "$c"; } >/dev/null 2>&1 &
        w=$!
        wait "$c"
        rc=$?
        kill "$w" 2>/dev/null
        wait "$w"
        exit "$rc"
        """;

    private static readonly ConcurrentDictionary<ChildProcess, byte> Live = new();

    private readonly Process _process;
    private readonly MemoryStream _stdout = new();
    private readonly MemoryStream _stderr = new();
    private readonly Task _pumps;
    private string _executable = "";

    static ChildProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var child in Live.Keys)
            {
                child.Kill();
            }
        };
    }

    private ChildProcess(Process process)
    {
        _process = process;
        _pumps = Task.WhenAll(
            PumpAsync(process.StandardOutput.BaseStream, _stdout),
            PumpAsync(process.StandardError.BaseStream, _stderr));
    }

    public string CommandLine { get; private init; } = "";

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public byte[] StandardOutputBytes => Snapshot(_stdout);

    public string StandardOutput => Encoding.UTF8.GetString(Snapshot(_stdout));

    public string StandardError => Encoding.UTF8.GetString(Snapshot(_stderr));

    /// <summary>Starts <paramref name="executable"/> (an absolute path) with the given arguments.</summary>
    public static ChildProcess Start(
        string executable,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var args = arguments.ToList();
        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Watchdog);
        info.ArgumentList.Add("watchdog");
        info.ArgumentList.Add(executable);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {executable}");
        var child = new ChildProcess(process) { CommandLine = string.Join(' ', [executable, .. args]), _executable = executable };
        Live[child] = 0;
        return child;
    }

    /// <summary>Waits for exit and for the output pipes to drain; false if the time ran out.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            await _pumps.WaitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends SIGTERM to the command itself, not to its watchdog, as a service manager stops a
    /// service.
    /// </summary>
    public async Task TerminateAsync(CancellationToken cancellationToken = default) =>
        await Tool.RunAsync(Tool.Require("kill", "procps"), ["-TERM", await CommandPidAsync(cancellationToken)], cancellationToken: cancellationToken);

    /// <summary>The process id of the command: the watchdog's child whose argv[0] is the executable.</summary>
    public async Task<string> CommandPidAsync(CancellationToken cancellationToken = default)
    {
        var children = await File.ReadAllTextAsync($"/proc/{_process.Id}/task/{_process.Id}/children", cancellationToken);
        foreach (var pid in children.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string argv0;
            try
            {
                argv0 = (await File.ReadAllTextAsync($"/proc/{pid}/cmdline", cancellationToken)).Split('\0')[0];
            }
            catch (IOException)
            {
                continue;
            }

            if (argv0 == _executable)
            {
                return pid;
            }
        }

        throw new InvalidOperationException($"no running command {_executable} under watchdog {_process.Id}");
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The watchdog is already gone.
        }

        // Bounded: never hang a test run on a child that ignores its watchdog.
        if (!await WaitForExitAsync(TimeSpan.FromSeconds(5)))
        {
            Kill();
            await WaitForExitAsync(TimeSpan.FromSeconds(5));
        }

        Live.TryRemove(this, out _);
        _process.Dispose();
    }

    private static async Task PumpAsync(Stream source, MemoryStream sink)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await source.ReadAsync(buffer)) > 0)
        {
            lock (sink)
            {
                sink.Write(buffer, 0, read);
            }
        }
    }

    private static byte[] Snapshot(MemoryStream stream)
    {
        lock (stream)
        {
            return stream.ToArray();
        }
    }
}
