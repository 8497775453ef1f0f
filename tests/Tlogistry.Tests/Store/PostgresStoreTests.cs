using Npgsql;
using Tlogistry.Store;

namespace Tlogistry.Tests.Store;

/// <summary>What only the shared store has: migrations replicas run together, and the per-tag lock.</summary>
public sealed class PostgresStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ReplicasStartingTogetherOnAFreshDatabaseMigrateItOnce()
    {
        await using var database = await PostgresDatabase.CreateAsync(Ct);
        var stores = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Task.Run(() => PostgresSightingIndex.OpenAsync(database.ConnectionString, TimeSpan.FromSeconds(5), Ct))));
        try
        {
            Assert.Equal(PostgresMigrations.Latest, await database.ScalarAsync<long>($"SELECT count(*) FROM {PostgresMigrations.Table}"));
            Assert.Equal(PostgresMigrations.Latest, await database.ScalarAsync<int>($"SELECT max(version) FROM {PostgresMigrations.Table}"));
            await stores[0].CheckAsync(Ct);
        }
        finally
        {
            foreach (var s in stores)
            {
                await s.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ARepositoryListsInByteOrderFromTheByteOrderedIndexWhateverTheCollation()
    {
        await using var database = await PostgresDatabase.CreateAsync(Ct);
        await using var store = await PostgresSightingIndex.OpenAsync(database.ConnectionString, TimeSpan.FromSeconds(5), Ct);

        // A linguistic collation (ICU, English) on the column: "_1" sorts before "v1" before "V9"; in bytes "V9" comes first.
        await database.ExecAsync("""ALTER TABLE tlogistry_sightings ALTER COLUMN reference TYPE text COLLATE "en-US-x-icu" """);
        string[] references = ["ghcr.io/org/app:v1", "ghcr.io/org/app:V9", "ghcr.io/org/app:_1", "ghcr.io/org/app-x:v1", "ghcr.io/org/app/sub:v1"];
        for (var i = 0; i < references.Length; i++)
        {
            await store.SaveAsync(SightingIndexTests.Fake(references[i], i), Ct);
        }

        Assert.Equal(["ghcr.io/org/app:_1", "ghcr.io/org/app:v1", "ghcr.io/org/app:V9"], await QueryAsync(database, "SELECT reference FROM tlogistry_sightings WHERE reference LIKE 'ghcr.io/org/app:%' ORDER BY reference"));
        Assert.Equal(
            ["ghcr.io/org/app:V9", "ghcr.io/org/app:_1", "ghcr.io/org/app:v1"],
            (await store.ListRepositoryAsync(Typed.Image("ghcr.io/org/app"), Ct)).Select(s => s.Reference.Canonical));

        // The store's query reads the byte-ordered index (sequential scans off, so a tiny table does not hide it).
        var plan = await QueryAsync(database, "EXPLAIN " + PostgresSightingIndex.RepositoryQuery, ("lo", "ghcr.io/org/app:"), ("hi", "ghcr.io/org/app;"));
        Assert.Contains(plan, line => line.Contains("tlogistry_sightings_reference_bytes", StringComparison.Ordinal));
    }

    private static async Task<List<string>> QueryAsync(PostgresDatabase database, string sql, params (string Name, string Value)[] parameters)
    {
        await using var c = new NpgsqlConnection(database.ConnectionString);
        await c.OpenAsync(Ct);
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off", c))
        {
            await off.ExecuteNonQueryAsync(Ct);
        }

        await using var cmd = new NpgsqlCommand(sql, c);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        await using var r = await cmd.ExecuteReaderAsync(Ct);
        var rows = new List<string>();
        while (await r.ReadAsync(Ct))
        {
            rows.Add(r.GetString(0));
        }

        return rows;
    }

    [Fact]
    public async Task ATagLockExcludesOtherInstancesUntilReleasedAndOtherTagsNever()
    {
        await using var store = await PostgresTestStore.CreateAsync(TimeSpan.FromMilliseconds(300));
        var first = await store.OpenAsync();
        var second = await store.OpenAsync();

        var held = await first.LockTagAsync(Typed.Tag("ghcr.io/org/app:v1"), Ct);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => second.LockTagAsync(Typed.Tag("ghcr.io/org/app:v1"), Ct));
        Assert.Equal(PostgresErrorCodes.LockNotAvailable, refused.SqlState);
        await using (await second.LockTagAsync(Typed.Tag("ghcr.io/org/app:v2"), Ct))
        {
        }

        await held.DisposeAsync();
        await using (await second.LockTagAsync(Typed.Tag("ghcr.io/org/app:v1"), Ct))
        {
            // The refused attempt left nothing behind on the pool: the first instance waits now.
            await Assert.ThrowsAsync<PostgresException>(() => first.LockTagAsync(Typed.Tag("ghcr.io/org/app:v1"), Ct));
        }
    }

    [Fact]
    public async Task ATagLockLeavesItsPooledConnectionWithoutAFailedTransactionOrTheLocksTimeoutWhetherHadOrNot()
    {
        await using var store = await PostgresTestStore.CreateAsync(TimeSpan.FromMilliseconds(300));
        var first = await store.OpenAsync();

        // One connection, so the locks' is the one the save below runs on.
        await using var second = await PostgresSightingIndex.OpenAsync(store.Database.ConnectionString + ";Maximum Pool Size=1", TimeSpan.FromMilliseconds(300), ITagMoves.DefaultMaxRows, Ct);
        await using var held = await first.LockTagAsync(Typed.Tag("ghcr.io/org/app:v1"), Ct);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => second.LockTagAsync(Typed.Tag("ghcr.io/org/app:v1"), Ct));
        Assert.Equal(PostgresErrorCodes.LockNotAvailable, refused.SqlState);
        await using (await second.LockTagAsync(Typed.Tag("ghcr.io/org/app:v3"), Ct))
        {
        }

        // A save waits for the table lock another session holds for longer than the tag lock's
        // timeout: that timeout was the lock's alone, not left on the connection.
        await using var blocker = new NpgsqlConnection(store.Database.ConnectionString);
        await blocker.OpenAsync(Ct);
        await using var tx = await blocker.BeginTransactionAsync(Ct);
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE tlogistry_sightings IN ACCESS EXCLUSIVE MODE", blocker, tx))
        {
            await lockTable.ExecuteNonQueryAsync(Ct);
        }

        var save = second.SaveAsync(SightingIndexTests.Fake("ghcr.io/org/app:v2", 0), Ct);
        await Task.Delay(1000, Ct);
        Assert.False(save.IsCompleted);
        await tx.CommitAsync(Ct);
        await save;
        Assert.NotNull(await second.FindAsync(Typed.Tag("ghcr.io/org/app:v2"), Ct));
    }

    [Fact]
    public async Task AHolderWhoseConnectionDropsReleasesTheLock()
    {
        await using var store = await PostgresTestStore.CreateAsync(TimeSpan.FromSeconds(5));
        var crashed = await store.OpenAsync();
        var held = await crashed.LockTagAsync(Typed.Tag("ghcr.io/org/app:v1"), Ct);

        // As when the holding process dies: its connection ends, and with it the lock.
        Assert.Equal(1, await store.Database.ScalarAsync<long>("SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()"));
        await using (await (await store.OpenAsync()).LockTagAsync(Typed.Tag("ghcr.io/org/app:v1"), Ct))
        {
        }

        // Releasing a lock whose connection is gone does not throw.
        await held.DisposeAsync();
    }

    [Theory]
    [InlineData("", StoreKind.Sqlite)]
    [InlineData("sqlite", StoreKind.Sqlite)]
    [InlineData(" SQLite ", StoreKind.Sqlite)]
    [InlineData("postgres=Host=db;Database=tlogistry;Username=tlogistry;Password=secret", StoreKind.Postgres)]
    internal void StoreSettingsAreParsed(string text, StoreKind kind) => Assert.Equal(kind, StoreChoice.Parse(text).Kind);

    [Theory]
    [InlineData("mysql=Host=db", "got \"mysql=…\"")]
    [InlineData("postgres", "needs a connection string")]
    [InlineData("postgres=Database=tlogistry", "needs Host=")]
    [InlineData("postgres=Hots=db;Password=secret", "Npgsql connection string")]
    public void BadStoreSettingsStopTheStartWithoutEchoingAPassword(string text, string reason)
    {
        var e = Assert.Throws<FormatException>(() => StoreChoice.Parse(text));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
    }
}
