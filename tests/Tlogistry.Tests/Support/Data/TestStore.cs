using Microsoft.Data.Sqlite;
using Tlogistry.Store;

namespace Tlogistry.Tests.Support.Data;

/// <summary>
/// A sighting store as the store-agnostic tests see it: opened again as a restart would, and
/// tampered with behind the ledger's back in the way each engine allows.
/// </summary>
internal abstract class TestStore : IAsyncDisposable
{
    private readonly List<ISightingIndex> _opened = [];

    /// <summary>A new store instance over the same data, as a process starting afresh has.</summary>
    public Task<ISightingIndex> OpenAsync() => OpenAsync(ITagMoves.DefaultMaxRows);

    /// <summary>As <see cref="OpenAsync()"/>, with the record of moved tags bounded to <paramref name="maxMoveRows"/>.</summary>
    public async Task<ISightingIndex> OpenAsync(int maxMoveRows)
    {
        var index = await OpenCoreAsync(maxMoveRows);
        lock (_opened)
        {
            _opened.Add(index);
        }

        return index;
    }

    /// <summary>Every insert fails with "disk on fire" until <see cref="AllowWritesAsync"/>.</summary>
    public abstract Task RefuseWritesAsync();

    public abstract Task AllowWritesAsync();

    /// <summary>Rewrites every row's digest; returns the rows changed.</summary>
    public abstract Task<int> SetDigestsAsync(string digest);

    /// <summary>Replaces every row's bundle with <paramref name="json"/>.</summary>
    public abstract Task SetBundlesAsync(string json);

    /// <summary>Overwrites every held manifest's bytes with as many zero bytes (the same size, other bytes).</summary>
    public abstract Task AlterHeldBytesAsync();

    /// <summary>Makes the store unreachable for the instances already open.</summary>
    public abstract Task BreakAsync();

    public abstract Task<long> CountAsync();

    /// <summary>Deletes the row of <paramref name="reference"/> behind the ledger's back; returns the rows deleted.</summary>
    public abstract Task<int> DeleteAsync(string reference);

    /// <summary>Marks the store as written by a newer tlogistry, at schema version <paramref name="version"/>.</summary>
    public abstract Task ClaimSchemaVersionAsync(int version);

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var index in _opened)
        {
            if (index is IAsyncDisposable d)
            {
                await d.DisposeAsync();
            }
        }
    }

    protected abstract Task<ISightingIndex> OpenCoreAsync(int maxMoveRows);
}

/// <summary>index.db in a temporary directory.</summary>
internal sealed class SqliteTestStore : TestStore
{
    private readonly TempDirectory _dir = new();

    public string Path => _dir.Combine("index.db");

    public override Task RefuseWritesAsync() =>
        Exec("CREATE TRIGGER refuse BEFORE INSERT ON sightings BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;");

    public override Task AllowWritesAsync() => Exec("DROP TRIGGER refuse;");

    public override Task<int> SetDigestsAsync(string digest) => Exec($"UPDATE sightings SET digest = '{digest}'");

    public override Task SetBundlesAsync(string json) => Exec($"UPDATE sightings SET bundle = CAST('{json}' AS BLOB)");

    public override Task AlterHeldBytesAsync() => Exec("UPDATE held_manifests SET bytes = zeroblob(length(bytes))");

    public override Task BreakAsync()
    {
        SightingStore.Delete(_dir.Path);
        Directory.CreateDirectory(Path);
        return Task.CompletedTask;
    }

    public override async Task<long> CountAsync() => (long)(await Scalar("SELECT count(*) FROM sightings"))!;

    public override Task ClaimSchemaVersionAsync(int version) => Exec($"PRAGMA user_version = {version}");

    public override Task<int> DeleteAsync(string reference) => Exec($"DELETE FROM sightings WHERE reference = '{reference}'");

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    protected override Task<ISightingIndex> OpenCoreAsync(int maxMoveRows) => Task.FromResult<ISightingIndex>(new SqliteSightingIndex(Path, maxMoveRows: maxMoveRows));

    private Task<int> Exec(string sql)
    {
        using var c = new SqliteConnection($"Data Source={Path};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Task.FromResult(cmd.ExecuteNonQuery());
    }

    private Task<object?> Scalar(string sql)
    {
        using var c = new SqliteConnection($"Data Source={Path};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Task.FromResult(cmd.ExecuteScalar());
    }
}

/// <summary>A database of its own on the run's PostgreSQL cluster.</summary>
internal sealed class PostgresTestStore : TestStore
{
    private PostgresTestStore(PostgresDatabase database, TimeSpan lockTimeout)
    {
        Database = database;
        LockTimeout = lockTimeout;
    }

    public PostgresDatabase Database { get; }

    public TimeSpan LockTimeout { get; }

    public static async Task<PostgresTestStore> CreateAsync(TimeSpan? lockTimeout = null) =>
        new(await PostgresDatabase.CreateAsync(TestContext.Current.CancellationToken), lockTimeout ?? TimeSpan.FromSeconds(30));

    public override Task RefuseWritesAsync() => Database.ExecAsync("""
        CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$;
        CREATE TRIGGER refuse BEFORE INSERT ON tlogistry_sightings FOR EACH ROW EXECUTE FUNCTION refuse();
        """);

    public override Task AllowWritesAsync() => Database.ExecAsync("DROP TRIGGER refuse ON tlogistry_sightings; DROP FUNCTION refuse();");

    public override Task<int> SetDigestsAsync(string digest) => Database.ExecAsync($"UPDATE tlogistry_sightings SET digest = '{digest}'");

    public override Task SetBundlesAsync(string json) => Database.ExecAsync($"UPDATE tlogistry_sightings SET bundle = convert_to('{json}', 'UTF8')");

    public override Task AlterHeldBytesAsync() => Database.ExecAsync("UPDATE tlogistry_held_manifests SET bytes = decode(repeat('00', octet_length(bytes)), 'hex')");

    public override Task BreakAsync() => Database.RefuseConnectionsAsync();

    public override Task<long> CountAsync() => Database.ScalarAsync<long>("SELECT count(*) FROM tlogistry_sightings");

    public override Task ClaimSchemaVersionAsync(int version) =>
        Database.ExecAsync($"INSERT INTO {PostgresMigrations.Table} (version) VALUES ({version})");

    public override Task<int> DeleteAsync(string reference) => Database.ExecAsync($"DELETE FROM tlogistry_sightings WHERE reference = '{reference}'");

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Database.DisposeAsync();
    }

    protected override async Task<ISightingIndex> OpenCoreAsync(int maxMoveRows) =>
        await PostgresSightingIndex.OpenAsync(Database.ConnectionString, LockTimeout, maxMoveRows, TestContext.Current.CancellationToken);
}
