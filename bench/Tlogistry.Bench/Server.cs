using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Tlogistry.Bench;

/// <summary>
/// A server under measurement, as a child process whose output goes to a file in the work
/// directory (the bench reads none of it, so it costs the bench no CPU).
/// </summary>
internal sealed class Server : IAsyncDisposable
{
    private readonly Process _process;

    private Server(string name, Process process, Uri baseUri, string logFile)
    {
        Name = name;
        _process = process;
        BaseUri = baseUri;
        LogFile = logFile;
    }

    public string Name { get; }

    public Uri BaseUri { get; }

    public string LogFile { get; }

    public int Pid => _process.Id;

    /// <summary>
    /// A CNCF Distribution registry on filesystem storage; with <paramref name="remote"/> it
    /// runs in proxy (pull-through cache) mode. Logging is kept to errors and the access log
    /// is off, so it spends nothing on logs: the baselines get their best case.
    /// </summary>
    public static async Task<Server> StartDistributionAsync(string name, string work, Uri? remote)
    {
        var port = FreePort();
        var dir = Path.Combine(work, name);
        Directory.CreateDirectory(dir);
        var config = Path.Combine(dir, "config.yml");
        var proxy = remote is null ? "" : $"""

            proxy:
              remoteurl: {remote.GetLeftPart(UriPartial.Authority)}
            """;
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: error
              accesslog:
                disabled: true
            storage:
              cache:
                blobdescriptor: inmemory
              filesystem:
                rootdirectory: {dir}/data
            http:
              addr: 127.0.0.1:{port}
            """ + proxy + "\n");
        return await StartAsync(name, "docker-registry", ["serve", config], port, Path.Combine(dir, "output.log"));
    }

    /// <summary>
    /// tlogistry with its defaults (embedded log, one request log line per request at
    /// Information), a fresh data directory, docker.io mapped to <paramref name="upstream"/>.
    /// </summary>
    public static Task<Server> StartTlogistryAsync(string name, string dll, string dataDir, Uri upstream, IEnumerable<string> extraArgs)
    {
        var port = FreePort();
        string[] args =
        [
            dll, "serve", "--port", port.ToString(CultureInfo.InvariantCulture), "--data-dir", dataDir,
            "--upstream", "docker.io=" + upstream.GetLeftPart(UriPartial.Authority), "--first-sightings-per-minute", "0", .. extraArgs,
        ];
        return StartAsync(name, "dotnet", args, port, Path.Combine(Path.GetDirectoryName(dataDir)!, name + "-output.log"));
    }

    /// <summary>
    /// HAProxy in front of <paramref name="target"/> with <c>option splice-auto</c>: the kernel
    /// moves a body from one socket to the other (splice) without copying it through user
    /// space, the fastest a relay gets on Linux. <paramref name="mode"/> is <c>http</c> (parses
    /// each request, as an HTTP proxy must) or <c>tcp</c> (bytes only). Null when not installed.
    /// </summary>
    public static async Task<Server?> StartHaproxyAsync(Uri target, string work, string mode)
    {
        if (!File.Exists("/usr/sbin/haproxy"))
        {
            return null;
        }

        var port = FreePort();
        var dir = Path.Combine(work, "haproxy");
        Directory.CreateDirectory(dir);
        var config = Path.Combine(dir, "haproxy.cfg");
        await File.WriteAllTextAsync(config, $"""
            global
              maxconn 4096

            defaults
              mode {mode}
              option splice-auto
              timeout connect 5s
              timeout client 120s
              timeout server 120s

            frontend bench
              bind 127.0.0.1:{port}
              default_backend upstream

            backend upstream
              server upstream {target.Host}:{target.Port}

            """);
        return await StartAsync("haproxy", "/usr/sbin/haproxy", ["-db", "-f", config], port, Path.Combine(dir, "output.log"));
    }

    /// <summary>
    /// socat relaying TCP to <paramref name="target"/> (a process forked per connection) with
    /// 256 KiB reads rather than its default 8 KiB, the faster of the two here: the least a
    /// user-space proxy does for a blob (read it in, write it out), with nothing else on top.
    /// Null when socat is not installed.
    /// </summary>
    public static async Task<Server?> StartRelayAsync(Uri target)
    {
        if (!File.Exists("/usr/bin/socat"))
        {
            return null;
        }

        var port = FreePort();
        return await StartAsync("socat", "socat",
            ["-b", "262144", $"TCP-LISTEN:{port},fork,reuseaddr,bind=127.0.0.1", $"TCP:{target.Host}:{target.Port}"], port, "/dev/null");
    }

    /// <summary>One field of /proc/PID/status in KiB (VmHWM, VmRSS).</summary>
    public long StatusKiB(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"no {field} in /proc/{Pid}/status");
    }

    /// <summary>
    /// CPU seconds the .NET runtime's tiered compilation thread has used, per thread id (the
    /// runtime ends that thread when idle and starts another later, so a sum alone could go
    /// down). Empty for a process that is not .NET or has no such thread now.
    /// </summary>
    public Dictionary<int, double> JitThreadCpu()
    {
        var ticks = new Dictionary<int, double>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{Pid}/task"))
            {
                try
                {
                    if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith(".NET Tiered Com", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    var stat = File.ReadAllText(Path.Combine(task, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    ticks[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] =
                        (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
                }
                catch (IOException)
                {
                    // The thread ended while being read.
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // The process is gone.
        }

        return ticks;
    }

    /// <summary>Resets VmHWM to the current RSS (Linux clear_refs 5), so a later VmHWM is the peak since now.</summary>
    public bool TryResetPeakRss()
    {
        try
        {
            File.WriteAllText($"/proc/{Pid}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// User plus system CPU time the process and its ended children (socat's per-connection
    /// forks) have used, in seconds.
    /// </summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Skip(11).Take(4).Sum(f => long.Parse(f, CultureInfo.InvariantCulture)) / 100.0;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private static async Task<Server> StartAsync(string name, string file, string[] args, int port, string logFile)
    {
        // sh execs the server with its output appended to a file: the pid stays the server's.
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$0\" \"$@\" >>\"$BENCH_SERVER_LOG\" 2>&1");
        psi.ArgumentList.Add(file);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["BENCH_SERVER_LOG"] = logFile;
        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + file);
        var baseUri = new Uri($"http://127.0.0.1:{port}/");
        var server = new Server(name, process, baseUri, logFile);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 300; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with {process.ExitCode}; see {logFile}:\n{Tail(logFile)}");
            }

            try
            {
                using var r = await http.GetAsync(new Uri(baseUri, "/v2/"));
                return server;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                await Task.Delay(100);
            }
        }

        await server.DisposeAsync();
        throw new TimeoutException($"{name} did not answer on {baseUri}:\n{Tail(logFile)}");
    }

    /// <summary>The last 20 lines of a process's output file, for an error message.</summary>
    internal static string Tail(string file) =>
        File.Exists(file) ? string.Join('\n', File.ReadLines(file).TakeLast(20)) : "(no output)";

    /// <summary>A loopback port free now (the OS's pick), for a process the bench starts.</summary>
    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
