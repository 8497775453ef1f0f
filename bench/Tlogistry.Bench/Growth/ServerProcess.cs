using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Tlogistry.Bench.Growth;

/// <summary>
/// <c>dotnet tlogistry.dll serve</c> as a child process with its output in a file, timed from
/// the process start to the first 200 of <c>/readyz</c>; and the one-shot commands
/// (<c>audit</c>, <c>index rebuild</c>) timed from start to exit.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, Uri baseUri, double startupMs)
    {
        _process = process;
        BaseUri = baseUri;
        StartupMs = startupMs;
    }

    public Uri BaseUri { get; }

    /// <summary>Process start to the first <c>GET /readyz</c> answered 200.</summary>
    public double StartupMs { get; }

    public int Pid => _process.Id;

    public static async Task<ServerProcess> StartAsync(string dll, string dataDir, string? store, Uri upstream, string logFile)
    {
        var port = Server.FreePort();
        List<string> args =
        [
            dll, "serve", "--port", port.ToString(CultureInfo.InvariantCulture), "--data-dir", dataDir,
            "--upstream", "docker.io=" + upstream.GetLeftPart(UriPartial.Authority), "--first-sightings-per-minute", "0",
        ];
        if (store is not null)
        {
            args.AddRange(["--store", store]);
        }

        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec dotnet \"$@\" >>\"$BENCH_SERVER_LOG\" 2>&1");
        psi.ArgumentList.Add("sh");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["BENCH_SERVER_LOG"] = logFile;
        var baseUri = new Uri($"http://127.0.0.1:{port}/");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var t0 = Stopwatch.GetTimestamp();
        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start dotnet " + dll);
        while (Stopwatch.GetElapsedTime(t0) < TimeSpan.FromMinutes(30))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"tlogistry exited with {process.ExitCode}; see {logFile}:\n{Server.Tail(logFile)}");
            }

            try
            {
                using var r = await http.GetAsync(new Uri(baseUri, "/readyz"));
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    return new ServerProcess(process, baseUri, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(10);
        }

        process.Kill(entireProcessTree: true);
        throw new TimeoutException($"tlogistry was not ready on {baseUri} within 30 minutes:\n{Server.Tail(logFile)}");
    }

    /// <summary>VmRSS of the server in KiB.</summary>
    public long RssKiB()
    {
        var line = File.ReadLines($"/proc/{Pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    /// <summary>Stops the server as an orchestrator would (SIGTERM), so the store and log are closed cleanly.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }

    /// <summary>Runs <c>dotnet DLL ARGS</c> to its end; returns the exit code, the seconds it took and its output.</summary>
    public static async Task<(int Code, double Seconds, string Output)> RunCommandAsync(string dll, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var t0 = Stopwatch.GetTimestamp();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start dotnet " + dll);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        var seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        return (p.ExitCode, seconds, await stdout + await stderr);
    }
}
