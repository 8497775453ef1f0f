using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Tlogistry.Transparency;

namespace Tlogistry.Ledger;

/// <summary>
/// The embedded index: one SQLite file in the data directory, WAL mode with full
/// synchronous commits so that a saved sighting survives a power cut.
/// </summary>
internal sealed class SqliteSightingIndex : ISightingIndex
{
    private const string Columns = "reference, digest, media_type, observed_at, upstream, identity, log_index, uuid, integrated_time, envelope";
    private readonly string _connectionString;

    public SqliteSightingIndex(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        using var c = Open();
        Exec(c, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS sightings (
                reference TEXT PRIMARY KEY,
                digest TEXT NOT NULL,
                media_type TEXT NOT NULL,
                observed_at INTEGER NOT NULL,
                upstream TEXT NOT NULL,
                identity TEXT NOT NULL,
                log_index INTEGER NOT NULL UNIQUE,
                uuid TEXT NOT NULL,
                integrated_time INTEGER NOT NULL,
                envelope BLOB NOT NULL);
            """);
    }

    public Task<Sighting?> FindAsync(string reference, CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM sightings WHERE reference = $r";
        cmd.Parameters.AddWithValue("$r", reference);
        using var r = cmd.ExecuteReader();
        return Task.FromResult(r.Read() ? Read(r) : null);
    }

    public Task SaveAsync(Sighting s, CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"INSERT INTO sightings ({Columns}) VALUES ($ref, $dig, $mt, $obs, $up, $id, $li, $uuid, $it, $env)";
        cmd.Parameters.AddWithValue("$ref", s.Reference);
        cmd.Parameters.AddWithValue("$dig", s.Digest);
        cmd.Parameters.AddWithValue("$mt", s.MediaType);
        cmd.Parameters.AddWithValue("$obs", s.ObservedAt.ToUnixTimeSeconds());
        cmd.Parameters.AddWithValue("$up", s.Upstream);
        cmd.Parameters.AddWithValue("$id", s.Identity);
        cmd.Parameters.AddWithValue("$li", s.Entry.Index);
        cmd.Parameters.AddWithValue("$uuid", s.Entry.Uuid);
        cmd.Parameters.AddWithValue("$it", s.Entry.IntegratedTime.ToUnixTimeSeconds());
        cmd.Parameters.AddWithValue("$env", s.Envelope);
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<long> FirstUnindexedAsync(CancellationToken cancellationToken)
    {
        // 0 if entry 0 is missing, else the first held index whose successor is missing;
        // both lookups go through the UNIQUE index on log_index.
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM sightings WHERE log_index = 0) THEN 0
                   ELSE (SELECT MIN(s.log_index) + 1 FROM sightings s
                         WHERE NOT EXISTS (SELECT 1 FROM sightings n WHERE n.log_index = s.log_index + 1)) END
            """;
        return Task.FromResult(Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture));
    }

    public async IAsyncEnumerable<Sighting> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM sightings ORDER BY log_index";
        using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            yield return Read(r);
        }
    }

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        Exec(c, "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
        return c;
    }

    private static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static Sighting Read(SqliteDataReader r) => new(
        r.GetString(0),
        r.GetString(1),
        r.GetString(2),
        DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(3)),
        r.GetString(4),
        r.GetString(5),
        new LogEntryRef(r.GetInt64(6), r.GetString(7), DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(8))),
        (byte[])r.GetValue(9));
}
