using Microsoft.Data.Sqlite;
using Npgsql;
using Tlogistry.Store;

namespace Tlogistry.Tests.Store;

/// <summary>
/// Every listing the proxy serves from its store costs one bounded read per page: the query
/// walks an index in the order it returns rows and stops at its LIMIT, with no sort of the
/// whole range and no scan of the table. Checked on the plans each database chooses.
/// </summary>
public sealed class QueryPlanTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> SqlitePagedQueries() =>
    [
        SqliteSightingIndex.RepositoryPageQuery,
        SqliteSightingIndex.ListQuery,
        SqliteSightingIndex.IntentListQuery,
        SqliteSightingIndex.UnpinnedIntentListQuery,
    ];

    [Theory]
    [MemberData(nameof(SqlitePagedQueries))]
    public void SqlitePagesWalkAnIndexInOrderWithALimit(string query)
    {
        var plan = SqlitePlan(query, name => name == "$limit" ? 101 : name == "$after" ? 0 : "ghcr.io/org/app:", "$lo", "$hi", "$after", "$limit");

        Assert.Contains("LIMIT", query, StringComparison.Ordinal);
        Assert.NotEmpty(plan);
        Assert.All(plan, step => Assert.StartsWith("SEARCH ", step, StringComparison.Ordinal));
        Assert.All(plan, step => Assert.True(step.Contains("INDEX", StringComparison.Ordinal) || step.Contains("PRIMARY KEY", StringComparison.Ordinal), step));
        Assert.DoesNotContain(plan, step => step.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    public static TheoryData<string> PostgresPagedQueries() =>
    [
        PostgresSightingIndex.RepositoryPageQuery,
        PostgresSightingIndex.ListQuery,
        PostgresSightingIndex.IntentListQuery,
        PostgresSightingIndex.UnpinnedIntentListQuery,
    ];

    [Theory]
    [MemberData(nameof(PostgresPagedQueries))]
    public async Task PostgresPagesWalkAnIndexInOrderWithALimit(string query)
    {
        await using var database = await MigratedDatabaseAsync();

        // Enough rows, analyzed, that the planner's choice is the one it makes for a real store.
        await database.ExecAsync("""
            INSERT INTO tlogistry_sightings (reference, digest, media_type, observed_at, upstream, identity, log_id, log_index, bundle)
            SELECT 'ghcr.io/org/app' || (g % 50) || ':t' || g, 'sha256:00', 'm', now(), 'u', 'i', 'aa', g, '\x00'::bytea FROM generate_series(1, 20000) g;
            INSERT INTO tlogistry_intents (reference, intent)
            SELECT 'ghcr.io/org/app' || (g % 50) || ':t' || g, '\x00'::bytea FROM generate_series(1, 20000) g;
            ANALYZE tlogistry_sightings; ANALYZE tlogistry_intents;
            """);
        var plan = await PostgresPlanAsync(database, query, ("lo", "ghcr.io/org/app7:"), ("hi", "ghcr.io/org/app7;"), ("after", 0L), ("limit", 101L));
        var text = string.Join("\n", plan);
        Assert.StartsWith("Limit", plan[0], StringComparison.Ordinal);
        Assert.Contains("Index Scan", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Sort", text, StringComparison.Ordinal);
    }

    [Fact]
    public void SqliteHoldingAManifestReadsTheTotalNotEveryHeldRow()
    {
        var plan = SqlitePlan(SqliteSightingIndex.HoldQuery, name => name is "$n" or "$max" ? 1 : "x", "$r", "$d", "$mt", "$n", "$b", "$max");

        Assert.Contains(plan, step => step.Contains("held_total", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN held_manifests", StringComparison.Ordinal));
        Assert.Contains(plan, step => step.StartsWith("SEARCH held_manifests USING", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PostgresHoldingAManifestReadsTheTotalNotEveryHeldRow()
    {
        await using var database = await MigratedDatabaseAsync();

        await database.ExecAsync("""
            INSERT INTO tlogistry_held_manifests (reference, digest, media_type, size, bytes)
            SELECT 'ghcr.io/org/app:t' || g, 'sha256:00', 'm', 100, '\x00'::bytea FROM generate_series(1, 20000) g;
            ANALYZE tlogistry_held_manifests;
            """);
        Assert.Equal(2_000_000L, await database.ScalarAsync<long>("SELECT bytes FROM tlogistry_held_total"));
        var plan = await PostgresPlanAsync(database, PostgresSightingIndex.HoldQuery, ("r", "x"), ("d", "x"), ("mt", "x"), ("b", new byte[] { 1 }), ("n", 1L), ("max", 1L));
        var text = string.Join("\n", plan);
        Assert.Contains("tlogistry_held_total", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan on tlogistry_held_manifests", text, StringComparison.Ordinal);
    }

    [Fact]
    public void SqliteFindingWhereReconciliationResumesReadsOnlyTheIndexFromTheMark()
    {
        var plan = SqlitePlan(SqliteSightingIndex.FirstUnindexedQuery, name => name == "$f" ? 1000L : "aa", "$l", "$f");

        Assert.NotEmpty(plan);
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN sightings", StringComparison.Ordinal));
        Assert.All(plan.Where(step => step.StartsWith("SEARCH ", StringComparison.Ordinal)), step => Assert.Contains("log_index", step, StringComparison.Ordinal));
        Assert.Contains(plan, step => step.Contains("log_index>?", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PostgresFindingWhereReconciliationResumesReadsOnlyTheIndexFromTheMark()
    {
        await using var database = await MigratedDatabaseAsync();

        await database.ExecAsync("""
            INSERT INTO tlogistry_sightings (reference, digest, media_type, observed_at, upstream, identity, log_id, log_index, bundle)
            SELECT 'ghcr.io/org/app:t' || g, 'sha256:00', 'm', now(), 'u', 'i', 'aa', g, '\x00'::bytea FROM generate_series(0, 19999) g;
            ANALYZE tlogistry_sightings;
            """);
        var plan = await PostgresPlanAsync(database, PostgresSightingIndex.FirstUnindexedQuery, ("l", "aa"), ("f", 19_000L));
        var text = string.Join("\n", plan);
        Assert.DoesNotContain("Seq Scan", text, StringComparison.Ordinal);
        Assert.Contains("log_index >= ", text, StringComparison.Ordinal);
    }

    /// <summary>The steps of SQLite's plan for <paramref name="query"/> on a new store, each parameter bound by <paramref name="value"/>.</summary>
    private static List<string> SqlitePlan(string query, Func<string, object> value, params string[] parameters)
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "index.db");
        _ = new SqliteSightingIndex(path);
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "EXPLAIN QUERY PLAN " + query;
        foreach (var name in parameters)
        {
            cmd.Parameters.AddWithValue(name, value(name));
        }

        var plan = new List<string>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            plan.Add(r.GetString(3));
        }

        return plan;
    }

    /// <summary>A new database with the store's schema applied.</summary>
    private static async Task<PostgresDatabase> MigratedDatabaseAsync()
    {
        var database = await PostgresDatabase.CreateAsync(Ct);
        try
        {
            await using (await PostgresSightingIndex.OpenAsync(database.ConnectionString, TimeSpan.FromSeconds(5), Ct))
            {
            }

            return database;
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }

    /// <summary>The lines of PostgreSQL's <c>EXPLAIN</c> of <paramref name="query"/>.</summary>
    private static async Task<List<string>> PostgresPlanAsync(PostgresDatabase database, string query, params (string Name, object Value)[] parameters)
    {
        await using var c = new NpgsqlConnection(database.ConnectionString);
        await c.OpenAsync(Ct);
        await using var cmd = new NpgsqlCommand("EXPLAIN " + query, c);
        foreach (var (name, v) in parameters)
        {
            cmd.Parameters.AddWithValue(name, v);
        }

        var plan = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync(Ct);
        while (await r.ReadAsync(Ct))
        {
            plan.Add(r.GetString(0).Trim());
        }

        return plan;
    }
}
