using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

[assembly: AssemblyFixture(typeof(Tlogistry.Tests.Support.Processes.PostgresClusterLifetime))]

namespace Tlogistry.Tests.Support.Processes;

/// <summary>
/// One private PostgreSQL cluster per test run, started by the first test that asks for a
/// database: initdb into a temporary directory (trust authentication, superuser
/// <c>postgres</c>), the server on 127.0.0.1 at a free port with its socket in that directory,
/// durability off (the tests never crash the server). As root, initdb and postgres refuse to
/// run, so they run as the <c>postgres</c> OS user. <c>TLOGISTRY_TEST_POSTGRES</c>, a
/// connection string with rights to create databases, names a server to use instead.
/// </summary>
internal sealed class PostgresCluster
{
    public const string ServerVariable = "TLOGISTRY_TEST_POSTGRES";
    private const string OsUser = "postgres";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly object Gate = new();
    private static Task<PostgresCluster>? _started;

    private readonly ChildProcess? _server;
    private readonly TempDirectory? _dir;
    private readonly string[] _asOsUser;
    private readonly string? _binDir;

    private PostgresCluster(string adminConnectionString, ChildProcess? server, TempDirectory? dir, string[] asOsUser, string? binDir)
    {
        AdminConnectionString = adminConnectionString;
        _server = server;
        _dir = dir;
        _asOsUser = asOsUser;
        _binDir = binDir;
    }

    /// <summary>A superuser connection to the <c>postgres</c> database.</summary>
    public string AdminConnectionString { get; }

    /// <summary>The run's cluster, started on first use; a failed start fails every test that needs it, with the reason.</summary>
    public static Task<PostgresCluster> GetAsync()
    {
        lock (Gate)
        {
            return _started ??= StartAsync();
        }
    }

    /// <summary>Stops the cluster if this run started one.</summary>
    public static async Task StopIfStartedAsync()
    {
        Task<PostgresCluster>? started;
        lock (Gate)
        {
            started = _started;
        }

        if (started is { IsCompletedSuccessfully: true })
        {
            await started.Result.StopAsync();
        }
    }

    /// <summary>A fresh, empty database with a unique name, dropped on dispose.</summary>
    public async Task<PostgresDatabase> CreateDatabaseAsync(CancellationToken cancellationToken)
    {
        var name = "tlogistry_test_" + Guid.NewGuid().ToString("n");
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync(cancellationToken);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true };
        return new PostgresDatabase(this, name, builder.ConnectionString);
    }

    /// <summary>Closes every connection to database <paramref name="name"/> and refuses new ones, as a server going away would.</summary>
    internal async Task RefuseConnectionsAsync(string name)
    {
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var refuse = new NpgsqlCommand(
            $"ALTER DATABASE {name} ALLOW_CONNECTIONS false; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
            admin);
        await refuse.ExecuteNonQueryAsync();
    }

    /// <summary>Ends every session on database <paramref name="name"/> with 57P01, as a server restart does to idle pooled connections.</summary>
    internal async Task TerminateConnectionsAsync(string name)
    {
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var terminate = new NpgsqlCommand($"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()", admin);
        await terminate.ExecuteScalarAsync();
    }

    internal async Task DropDatabaseAsync(string name)
    {
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    private static async Task<PostgresCluster> StartAsync()
    {
        if (Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } external)
        {
            return new PostgresCluster(external, null, null, [], null);
        }

        var binDir = FindBinDir();
        var asOsUser = Environment.UserName == "root"
            ? [Tool.Require("setpriv", "util-linux"), "--reuid=" + OsUser, "--regid=" + OsUser, "--init-groups", "--"]
            : Array.Empty<string>();
        var dir = new TempDirectory("tlogistry-pg-");
        try
        {
            if (asOsUser.Length > 0)
            {
                await Tool.RunAsync(Tool.Require("chown", "coreutils"), [OsUser + ":" + OsUser, dir.Path]);
            }

            var data = dir.Combine("data");
            await RunAsync(asOsUser, Path.Combine(binDir, "initdb"), ["-D", data, "--auth=trust", "-U", "postgres", "--no-sync", "--encoding=UTF8", "--locale=C"]);
            for (var attempt = 1; ; attempt++)
            {
                var port = FreePort.Next();
                // setpriv execs postgres, so the watchdog's kill reaches the server itself.
                var (executable, args) = Command(asOsUser, Path.Combine(binDir, "postgres"), [
                    "-D", data, "-p", port.ToString(CultureInfo.InvariantCulture), "-h", "127.0.0.1", "-k", dir.Path,
                    "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300",
                ]);
                var server = ChildProcess.Start(executable, args);
                var admin = string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false");
                var failure = await WaitUntilReadyAsync(server, admin);
                if (failure is null)
                {
                    return new PostgresCluster(admin, server, dir, asOsUser, binDir);
                }

                await server.DisposeAsync();
                if (attempt < 5 && server.StandardError.Contains("could not bind", StringComparison.Ordinal))
                {
                    continue;
                }

                throw new InvalidOperationException($"postgres did not start: {failure}\n{server.StandardError}");
            }
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    private async Task StopAsync()
    {
        if (_server is null)
        {
            return;
        }

        // A fast shutdown, so the server leaves nothing behind; the watchdog kills it if this fails.
        await RunAsync(_asOsUser, Path.Combine(_binDir!, "pg_ctl"), ["stop", "-D", _dir!.Combine("data"), "-m", "fast", "-w", "-t", "20"], check: false);
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private static Task<ToolResult> RunAsync(string[] asOsUser, string executable, string[] args, bool check = true)
    {
        var (command, arguments) = Command(asOsUser, executable, args);
        return Tool.RunAsync(command, arguments, check: check);
    }

    /// <summary>The command line that runs <paramref name="executable"/>, as the postgres OS user when this process is root.</summary>
    private static (string Executable, string[] Args) Command(string[] asOsUser, string executable, string[] args) =>
        asOsUser.Length == 0 ? (executable, args) : (asOsUser[0], [.. asOsUser.Skip(1), executable, .. args]);

    /// <summary>The newest /usr/lib/postgresql/N/bin (Debian's layout), else initdb on PATH.</summary>
    private static string FindBinDir()
    {
        const string debian = "/usr/lib/postgresql";
        if (Directory.Exists(debian))
        {
            var newest = Directory.GetDirectories(debian)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1))
                .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")) && File.Exists(Path.Combine(d.Dir, "postgres")))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Dir is not null)
            {
                return newest.Dir;
            }
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "postgres")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException(
            $"the PostgreSQL server (initdb, postgres) was not found in {debian}/*/bin or on PATH; the store tests need it: run `bash scripts/install-test-deps.sh` (Debian package postgresql), or set {ServerVariable} to a connection string of a server to use");
    }

    private static async Task<string?> WaitUntilReadyAsync(ChildProcess server, string admin)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        var last = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            if (server.HasExited)
            {
                return $"exited with {server.ExitCode}";
            }

            try
            {
                await using var c = new NpgsqlConnection(admin);
                await c.OpenAsync();
                return null;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or IOException)
            {
                last = e.Message;
            }

            await Task.Delay(50);
        }

        return $"not ready within {StartTimeout.TotalSeconds:0} s ({last})";
    }
}

/// <summary>Stops the run's PostgreSQL cluster once every test has finished.</summary>
public sealed class PostgresClusterLifetime : IAsyncDisposable
{
    public ValueTask DisposeAsync() => new(PostgresCluster.StopIfStartedAsync());
}

/// <summary>A database of one test's own on the run's cluster.</summary>
internal sealed class PostgresDatabase : IAsyncDisposable
{
    private readonly PostgresCluster _cluster;

    public PostgresDatabase(PostgresCluster cluster, string name, string connectionString)
    {
        _cluster = cluster;
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static async Task<PostgresDatabase> CreateAsync(CancellationToken cancellationToken) =>
        await (await PostgresCluster.GetAsync()).CreateDatabaseAsync(cancellationToken);

    /// <summary>Drops every connection to this database and refuses new ones: a store that is down.</summary>
    public Task RefuseConnectionsAsync() => _cluster.RefuseConnectionsAsync(Name);

    /// <summary>Ends every open session on this database (admin shutdown, 57P01) and still accepts new ones: a restarted server.</summary>
    public Task TerminateConnectionsAsync() => _cluster.TerminateConnectionsAsync(Name);

    /// <summary>Runs SQL behind the store's back; returns the rows changed.</summary>
    public async Task<int> ExecAsync(string sql)
    {
        await using var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        return await cmd.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearPool(new NpgsqlConnection(ConnectionString));
        await _cluster.DropDatabaseAsync(Name);
    }
}
