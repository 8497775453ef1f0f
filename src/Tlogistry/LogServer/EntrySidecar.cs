using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Tlogistry.LogServer;

/// <summary>
/// What the tiles cannot hold, per log index: integrated time, the intoto envelope, and the
/// search keys. SQLite in WAL mode with synchronous FULL, so a row is durable before the
/// client hears about its entry. Rows only ever trail the log (a row is written after its
/// leaf), and the server fills any gap at start.
/// </summary>
internal sealed class EntrySidecar : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();

    public EntrySidecar(string path)
    {
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        Exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
        Exec("""
            CREATE TABLE IF NOT EXISTS meta (
                name TEXT PRIMARY KEY,
                value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS entries (
                log_index INTEGER PRIMARY KEY,
                leaf_hash BLOB NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                api_version TEXT NOT NULL,
                integrated_time INTEGER NOT NULL,
                attestation BLOB);
            CREATE TABLE IF NOT EXISTS index_keys (
                key TEXT NOT NULL,
                log_index INTEGER NOT NULL,
                PRIMARY KEY (key, log_index)) WITHOUT ROWID;
            """);
    }

    /// <summary>One past the highest recorded index: how far the sidecar has caught up with the log.</summary>
    public long Count()
    {
        lock (_lock)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT COALESCE(MAX(log_index) + 1, 0) FROM entries";
            return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
    }

    public void Insert(SidecarRow row, IEnumerable<string> indexKeys)
    {
        lock (_lock)
        {
            using var tx = _connection.BeginTransaction();
            using (var cmd = _connection.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "INSERT INTO entries (log_index, leaf_hash, kind, api_version, integrated_time, attestation) VALUES ($i, $h, $k, $v, $t, $a)";
                cmd.Parameters.AddWithValue("$i", row.LogIndex);
                cmd.Parameters.AddWithValue("$h", row.LeafHash);
                cmd.Parameters.AddWithValue("$k", row.Kind);
                cmd.Parameters.AddWithValue("$v", row.ApiVersion);
                cmd.Parameters.AddWithValue("$t", row.IntegratedTime);
                cmd.Parameters.AddWithValue("$a", (object?)row.Attestation ?? DBNull.Value);
                cmd.ExecuteNonQuery();
            }

            foreach (var key in indexKeys.Distinct(StringComparer.Ordinal))
            {
                using var cmd = _connection.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = "INSERT OR IGNORE INTO index_keys (key, log_index) VALUES ($k, $i)";
                cmd.Parameters.AddWithValue("$k", key);
                cmd.Parameters.AddWithValue("$i", row.LogIndex);
                cmd.ExecuteNonQuery();
            }

            tx.Commit();
        }
    }

    public SidecarRow? ByIndex(long index) => One("log_index = $p", index);

    public SidecarRow? ByLeafHash(byte[] leafHash) => One("leaf_hash = $p", leafHash);

    /// <summary>Indexes of entries under a search key, oldest first.</summary>
    public IReadOnlyList<long> Search(string key) => SearchAll([key]);

    /// <summary>
    /// Indexes of entries under every one of <paramref name="keys"/>, oldest first: intersected
    /// before the answer is cut at 1,000, so that a narrow key finds its entries however many
    /// others share a broad one.
    /// </summary>
    public IReadOnlyList<long> SearchAll(IReadOnlyList<string> keys)
    {
        ArgumentOutOfRangeException.ThrowIfZero(keys.Count);
        lock (_lock)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = string.Join(" INTERSECT ", keys.Select((_, i) => $"SELECT log_index FROM index_keys WHERE key = $k{i}")) + " ORDER BY log_index LIMIT 1000";
            for (var i = 0; i < keys.Count; i++)
            {
                cmd.Parameters.AddWithValue($"$k{i}", keys[i]);
            }

            using var r = cmd.ExecuteReader();
            var found = new List<long>();
            while (r.Read())
            {
                found.Add(r.GetInt64(0));
            }

            return found;
        }
    }

    public string? GetMeta(string name)
    {
        lock (_lock)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT value FROM meta WHERE name = $n";
            cmd.Parameters.AddWithValue("$n", name);
            return cmd.ExecuteScalar() as string;
        }
    }

    public void SetMeta(string name, string value)
    {
        lock (_lock)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "INSERT INTO meta (name, value) VALUES ($n, $v) ON CONFLICT(name) DO UPDATE SET value = excluded.value";
            cmd.Parameters.AddWithValue("$n", name);
            cmd.Parameters.AddWithValue("$v", value);
            cmd.ExecuteNonQuery();
        }
    }

    public void Dispose() => _connection.Dispose();

    private SidecarRow? One(string where, object parameter)
    {
        lock (_lock)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = $"SELECT log_index, leaf_hash, kind, api_version, integrated_time, attestation FROM entries WHERE {where}";
            cmd.Parameters.AddWithValue("$p", parameter);
            using var r = cmd.ExecuteReader();
            return r.Read()
                ? new SidecarRow(r.GetInt64(0), (byte[])r[1], r.GetString(2), r.GetString(3), r.GetInt64(4), r.IsDBNull(5) ? null : (byte[])r[5])
                : null;
        }
    }

    private void Exec(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}

/// <summary>One entry's sidecar row. <paramref name="Attestation"/> is the intoto statement, when known.</summary>
internal sealed record SidecarRow(long LogIndex, byte[] LeafHash, string Kind, string ApiVersion, long IntegratedTime, byte[]? Attestation);
