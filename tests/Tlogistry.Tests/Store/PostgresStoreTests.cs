using Npgsql;
using Tlogistry.Store;
using Tlogistry.Tests.Support;

namespace Tlogistry.Tests.Store;

/// <summary>What only the shared store has: migrations replicas run together, and the per-tag lock.</summary>
public sealed class PostgresStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Replicas_starting_together_on_a_fresh_database_migrate_it_once()
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
    public async Task A_tag_lock_excludes_other_instances_until_released_and_other_tags_never()
    {
        await using var store = await PostgresTestStore.CreateAsync(TimeSpan.FromMilliseconds(300));
        var first = await store.OpenAsync();
        var second = await store.OpenAsync();

        var held = await first.LockTagAsync("ghcr.io/org/app:v1", Ct);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => second.LockTagAsync("ghcr.io/org/app:v1", Ct));
        Assert.Equal(PostgresErrorCodes.LockNotAvailable, refused.SqlState);
        await using (await second.LockTagAsync("ghcr.io/org/app:v2", Ct))
        {
        }

        await held.DisposeAsync();
        await using (await second.LockTagAsync("ghcr.io/org/app:v1", Ct))
        {
            // The refused attempt left nothing behind on the pool: the first instance waits now.
            await Assert.ThrowsAsync<PostgresException>(() => first.LockTagAsync("ghcr.io/org/app:v1", Ct));
        }
    }

    [Fact]
    public async Task A_holder_whose_connection_drops_releases_the_lock()
    {
        await using var store = await PostgresTestStore.CreateAsync(TimeSpan.FromSeconds(5));
        var crashed = await store.OpenAsync();
        var held = await crashed.LockTagAsync("ghcr.io/org/app:v1", Ct);

        // As when the holding process dies: its connection ends, and with it the lock.
        Assert.Equal(1, await store.Database.ScalarAsync<long>("SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()"));
        await using (await (await store.OpenAsync()).LockTagAsync("ghcr.io/org/app:v1", Ct))
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
    internal void Store_settings_are_parsed(string text, StoreKind kind) => Assert.Equal(kind, StoreChoice.Parse(text).Kind);

    [Theory]
    [InlineData("mysql=Host=db", "got \"mysql=…\"")]
    [InlineData("postgres", "needs a connection string")]
    [InlineData("postgres=Database=tlogistry", "needs Host=")]
    [InlineData("postgres=Hots=db;Password=secret", "Npgsql connection string")]
    public void Bad_store_settings_stop_the_start_without_echoing_a_password(string text, string reason)
    {
        var e = Assert.Throws<FormatException>(() => StoreChoice.Parse(text));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
    }
}
