using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Npgsql;

namespace Tlogistry.Bench.Growth;

/// <summary>
/// A private PostgreSQL cluster for one run: initdb into a temporary directory (trust
/// authentication, superuser <c>postgres</c>), the server on 127.0.0.1 at a free port with its
/// socket in that directory, stopped and deleted at the end. Settings are the server's
/// defaults (durable commits), as a deployment would have them. initdb and postgres refuse to
/// run as root, so as root they run as the <c>postgres</c> OS user (Debian's package makes it).
/// </summary>
internal sealed class ThrowawayPostgres : IAsyncDisposable
{
    private const string OsUser = "postgres";
    private readonly Process _server;
    private readonly string _dir;
    private readonly string _binDir;
    private readonly string[] _asOsUser;
    private long _emptyBytes;

    private ThrowawayPostgres(Process server, string dir, string binDir, string[] asOsUser, int port)
    {
        _server = server;
        _dir = dir;
        _binDir = binDir;
        _asOsUser = asOsUser;
        AdminConnectionString = string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false");
    }

    public string AdminConnectionString { get; }

    public static async Task<ThrowawayPostgres> StartAsync(string work)
    {
        var binDir = FindBinDir();
        string[] asOsUser = Environment.UserName == "root" ? ["setpriv", "--reuid=" + OsUser, "--regid=" + OsUser, "--init-groups", "--"] : [];

        // A directory of its own under the temp root: the postgres user cannot enter the bench's (mode 700).
        var dir = Directory.CreateTempSubdirectory("tlogistry-growth-pg-").FullName;
        if (asOsUser.Length > 0)
        {
            await RunAsync([], "chown", [OsUser + ":" + OsUser, dir]);
        }

        var data = Path.Combine(dir, "data");
        await RunAsync(asOsUser, Path.Combine(binDir, "initdb"), ["-D", data, "--auth=trust", "-U", "postgres", "--encoding=UTF8", "--locale=C"]);
        var port = Server.FreePort();
        var server = Start(asOsUser, Path.Combine(binDir, "postgres"),
            ["-D", data, "-p", port.ToString(CultureInfo.InvariantCulture), "-h", "127.0.0.1", "-k", dir, "-c", "max_connections=300"],
            Path.Combine(work, "postgres.log"));
        var pg = new ThrowawayPostgres(server, dir, binDir, asOsUser, port);
        for (var deadline = DateTime.UtcNow.AddSeconds(60); ; await Task.Delay(100))
        {
            try
            {
                await using var c = new NpgsqlConnection(pg.AdminConnectionString);
                await c.OpenAsync();
                return pg;
            }
            catch (Exception e) when ((e is NpgsqlException or SocketException or IOException) && DateTime.UtcNow < deadline && !server.HasExited)
            {
            }
        }
    }

    /// <summary>Creates an empty database and returns the <c>--store</c> value that names it.</summary>
    public async Task<string> CreateStoreAsync(string name)
    {
        await using var c = new NpgsqlConnection(AdminConnectionString);
        await c.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", c);
        await create.ExecuteNonQueryAsync();
        _emptyBytes = await SizeAsync(c, name);
        return "postgres=" + new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true };
    }

    /// <summary>Bytes the database takes on disk (tables, indexes, TOAST; pg_database_size), less what it took when created empty.</summary>
    public async Task<long> DatabaseBytesAsync(string name)
    {
        await using var c = new NpgsqlConnection(AdminConnectionString);
        await c.OpenAsync();
        return await SizeAsync(c, name) - _emptyBytes;
    }

    private static async Task<long> SizeAsync(NpgsqlConnection c, string name)
    {
        await using var size = new NpgsqlCommand("SELECT pg_database_size(@n)", c);
        size.Parameters.AddWithValue("n", name);
        return (long)(await size.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync(_asOsUser, Path.Combine(_binDir, "pg_ctl"), ["stop", "-D", Path.Combine(_dir, "data"), "-m", "fast", "-w", "-t", "30"]);
        }
        catch (InvalidOperationException)
        {
            _server.Kill(entireProcessTree: true);
        }

        await _server.WaitForExitAsync();
        _server.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
    }

    private static Process Start(string[] asOsUser, string executable, string[] args, string logFile)
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$@\" >>\"$BENCH_SERVER_LOG\" 2>&1");
        psi.ArgumentList.Add("sh");
        foreach (var a in asOsUser.Length > 0 ? [.. asOsUser, executable, .. args] : (string[])[executable, .. args])
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["BENCH_SERVER_LOG"] = logFile;
        return Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + executable);
    }

    private static async Task RunAsync(string[] asOsUser, string executable, string[] args)
    {
        string[] all = asOsUser.Length > 0 ? [.. asOsUser[1..], executable, .. args] : args;
        var psi = new ProcessStartInfo(asOsUser.Length > 0 ? asOsUser[0] : executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in all)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + executable);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{executable} exited with {p.ExitCode}:\n{await stdout}\n{await stderr}");
        }
    }

    /// <summary>The newest /usr/lib/postgresql/N/bin (Debian's layout), else initdb on PATH.</summary>
    private static string FindBinDir()
    {
        const string debian = "/usr/lib/postgresql";
        var candidates = Directory.Exists(debian)
            ? Directory.GetDirectories(debian).OrderByDescending(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1).Select(d => Path.Combine(d, "bin"))
            : [];
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        return candidates.Concat(path).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "postgres")))
            ?? throw new InvalidOperationException($"PostgreSQL (initdb, postgres) is not in {debian}/*/bin or on PATH: apt-get install postgresql, or run with --store sqlite");
    }
}
