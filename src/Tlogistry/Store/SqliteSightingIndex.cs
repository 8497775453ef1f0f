using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Tlogistry.Oci;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Store;

/// <summary>
/// The embedded store: one SQLite file in the data directory, WAL mode. With durable
/// commits (full synchronous) a saved sighting survives a power cut; without them (normal
/// synchronous, no fsync per commit) the last commits may not, which suits a log that keeps
/// every statement: the lost rows are indexed from the log again at the next start.
/// </summary>
internal sealed partial class SqliteSightingIndex : ISightingIndex
{
    // Schema 2 keeps whole bundles. Schema 1 kept envelopes only, and only the embedded log
    // existed then: its table is dropped and rebuilt from that log at start. Schema 3 adds the
    // remembered checkpoints, schema 4 the append intents, schema 5 the held manifests, schema 6 the moved tags, schema 7 the held manifests' running total, schema 8 the intents' pinned mark, schema 9 the pins' verification stamps, schema 10 the reconciled marks. Steps
    // only ever move forward.
    private const int SchemaVersion = 10;
    private const string Columns = "reference, digest, media_type, observed_at, upstream, identity, bundle";
    private readonly string _connectionString;
    private readonly string _pragmas;
    private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, string> Configured = new();
    private readonly int _maxMoveRows;

    /// <param name="maxMoveRows">The bound of the record of moved tags, in rows.</param>
    public SqliteSightingIndex(string path, bool durableCommits = true, int maxMoveRows = ITagMoves.DefaultMaxRows)
    {
        _maxMoveRows = maxMoveRows;
        _pragmas = $"PRAGMA synchronous = {(durableCommits ? "FULL" : "NORMAL")}; PRAGMA busy_timeout = 5000;";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        Description = $"sqlite ({Path.GetFullPath(path)})";
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        using var c = Open();
        Exec(c, "PRAGMA journal_mode = WAL;");
        var found = UserVersion(c);
        if (found > SchemaVersion)
        {
            // Written by a newer tlogistry: rewriting it with this schema could lose what it holds.
            throw new InvalidDataException($"the sighting store {path} is at schema version {found}, newer than the {SchemaVersion} this tlogistry knows; run a newer tlogistry");
        }

        if (found == SchemaVersion)
        {
            return;
        }

        // One transaction, the version read again inside it: a start stopped half-way leaves
        // the store at its old version, and two processes starting together migrate it once.
        Exec(c, "BEGIN IMMEDIATE;");
        found = UserVersion(c);
        if (found < 2)
        {
            Exec(c, """
                DROP TABLE IF EXISTS sightings;
                CREATE TABLE sightings (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    reference TEXT NOT NULL UNIQUE,
                    digest TEXT NOT NULL,
                    media_type TEXT NOT NULL,
                    observed_at INTEGER NOT NULL,
                    upstream TEXT NOT NULL,
                    identity TEXT NOT NULL,
                    log_id TEXT NOT NULL,
                    log_index INTEGER NOT NULL,
                    bundle BLOB NOT NULL,
                    UNIQUE (log_id, log_index));
                """);
        }

        if (found < 3)
        {
            Exec(c, """
                CREATE TABLE log_checkpoints (
                    origin TEXT PRIMARY KEY,
                    size INTEGER NOT NULL,
                    root_hash BLOB NOT NULL,
                    note TEXT NOT NULL);
                """);
        }

        if (found < 4)
        {
            Exec(c, IntentsTable);
        }

        if (found < 5)
        {
            Exec(c, HeldTable);
        }

        if (found < 6)
        {
            Exec(c, MovesTable);
        }

        if (found < 7)
        {
            Exec(c, HeldTotal);
        }

        if (found < 8)
        {
            if (!HasColumn(c, "append_intents", "pinned"))
            {
                Exec(c, "ALTER TABLE append_intents ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;");
            }

            Exec(c, IntentPinnedMarks);
        }

        if (found < 9 && !HasColumn(c, "sightings", "stamp"))
        {
            Exec(c, "ALTER TABLE sightings ADD COLUMN stamp BLOB;");
        }

        if (found < 10)
        {
            Exec(c, ReconciledTable);
        }

        Exec(c, $"PRAGMA user_version = {SchemaVersion}; COMMIT;");
    }

    private static bool HasColumn(SqliteConnection c, string table, string column)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT 1 FROM pragma_table_info('{table}') WHERE name = $c";
        cmd.Parameters.AddWithValue("$c", column);
        return cmd.ExecuteScalar() is not null;
    }

    private static long UserVersion(SqliteConnection c)
    {
        using var version = c.CreateCommand();
        version.CommandText = "PRAGMA user_version";
        return Convert.ToInt64(version.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public string Description { get; }

    public async Task<Sighting?> FindAsync(TagReference reference, CancellationToken cancellationToken) =>
        (await FindStoredAsync(reference, cancellationToken))?.Pin;

    public Task<StoredPin?> FindStoredAsync(TagReference reference, CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {Columns}, stamp FROM sightings WHERE reference = $r";
        cmd.Parameters.AddWithValue("$r", reference.Canonical);
        using var r = cmd.ExecuteReader();
        return Task.FromResult(r.Read() ? ReadStored(r) : null);
    }

    public Task SaveAsync(Sighting s, CancellationToken cancellationToken, RowSeal? seal = null)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO sightings (reference, digest, media_type, observed_at, upstream, identity, log_id, log_index, bundle, stamp) VALUES ($ref, $dig, $mt, $obs, $up, $id, $lid, $li, $b, $stamp)";
        var bundle = Bind(cmd, s);

        // Sealed over the content as a read will find it: observed_at is kept in whole seconds.
        cmd.Parameters.AddWithValue("$stamp", seal is null ? DBNull.Value : seal(StoredPin.Hash(s.Reference.Canonical, s.Digest.ToString(), s.MediaType, DateTimeOffset.FromUnixTimeSeconds(s.ObservedAt.ToUnixTimeSeconds()), s.Upstream, s.Identity, bundle)));
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task StampAsync(IReadOnlyList<(TagReference Reference, byte[] Stamp)> stamps, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stamps);
        using var c = Open();
        using var tx = c.BeginTransaction();
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "UPDATE sightings SET stamp = $stamp WHERE reference = $ref";
        var reference = cmd.Parameters.Add("$ref", SqliteType.Text);
        var stamp = cmd.Parameters.Add("$stamp", SqliteType.Blob);
        foreach (var (r, sealedRow) in stamps)
        {
            reference.Value = r.Canonical;
            stamp.Value = sealedRow;
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
        return Task.CompletedTask;
    }

    public Task ClearStampsAsync(CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE sightings SET stamp = NULL WHERE stamp IS NOT NULL";
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    /// <summary>Binds the row's columns; returns the bundle's bytes as bound.</summary>
    private static byte[] Bind(SqliteCommand cmd, Sighting s)
    {
        cmd.Parameters.AddWithValue("$ref", s.Reference.Canonical);
        cmd.Parameters.AddWithValue("$dig", s.Digest.ToString());
        cmd.Parameters.AddWithValue("$mt", s.MediaType);
        cmd.Parameters.AddWithValue("$obs", s.ObservedAt.ToUnixTimeSeconds());
        cmd.Parameters.AddWithValue("$up", s.Upstream);
        cmd.Parameters.AddWithValue("$id", s.Identity);
        cmd.Parameters.AddWithValue("$lid", s.LogId);
        cmd.Parameters.AddWithValue("$li", s.LogIndex);
        var bundle = BundleJson.Write(s.Bundle);
        cmd.Parameters.AddWithValue("$b", bundle);
        return bundle;
    }

    public Task ReplaceAsync(Sighting stored, Sighting earlier, CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            UPDATE sightings SET digest = $dig, media_type = $mt, observed_at = $obs, upstream = $up, identity = $id, log_id = $lid, log_index = $li, bundle = $b, stamp = NULL
            WHERE reference = $ref AND log_id = $oldlid AND log_index = $oldli
            """;
        Bind(cmd, earlier);
        cmd.Parameters.AddWithValue("$oldlid", stored.LogId);
        cmd.Parameters.AddWithValue("$oldli", stored.LogIndex);
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task ForgetAsync(Sighting sighting, CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM sightings WHERE log_id = $lid AND log_index = $li";
        cmd.Parameters.AddWithValue("$lid", sighting.LogId);
        cmd.Parameters.AddWithValue("$li", sighting.LogIndex);
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<RememberedCheckpoint?> RememberedCheckpointAsync(string log, CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT size, root_hash, note FROM log_checkpoints WHERE origin = $o";
        cmd.Parameters.AddWithValue("$o", log);
        using var r = cmd.ExecuteReader();
        return Task.FromResult(r.Read() ? new RememberedCheckpoint(log, r.GetInt64(0), (byte[])r.GetValue(1), r.GetString(2)) : null);
    }

    public Task RememberCheckpointAsync(RememberedCheckpoint checkpoint, bool replace, CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            INSERT INTO log_checkpoints (origin, size, root_hash, note) VALUES ($o, $s, $r, $n)
            ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root_hash = excluded.root_hash, note = excluded.note
            {(replace ? "" : "WHERE excluded.size > log_checkpoints.size")}
            """;
        cmd.Parameters.AddWithValue("$o", checkpoint.Log);
        cmd.Parameters.AddWithValue("$s", checkpoint.Size);
        cmd.Parameters.AddWithValue("$r", checkpoint.RootHash);
        cmd.Parameters.AddWithValue("$n", checkpoint.Note);
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public async Task<SightingPage> ListAsync(long after, int limit, CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = ListQuery;
        cmd.Parameters.AddWithValue("$after", after);
        cmd.Parameters.AddWithValue("$limit", limit + 1);
        using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        return await SightingPage.ReadAsync(r, after, limit, 7, Read, cancellationToken);
    }

    /// <summary>One process owns the file, and the ledger's single flight covers that process: nothing to lock.</summary>
    public Task<IAsyncDisposable> LockTagAsync(TagReference reference, CancellationToken cancellationToken) =>
        Task.FromResult<IAsyncDisposable>(NoLock.Instance);

    public Task CheckAsync(CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        // The columns pins are read from, so a dropped or altered table makes the store unready.
        cmd.CommandText = $"SELECT {Columns} FROM sightings LIMIT 1";
        cmd.ExecuteScalar();
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyList<Sighting>> ListRepositoryAsync(ImageName image, CancellationToken cancellationToken)
    {
        // A range scan of the unique index on reference (SQLite compares text as bytes).
        var (after, before) = ISightingIndex.RepositoryRange(image);
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM sightings WHERE reference > $lo AND reference < $hi ORDER BY reference";
        cmd.Parameters.AddWithValue("$lo", after);
        cmd.Parameters.AddWithValue("$hi", before);
        using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var found = new List<Sighting>();
        while (await r.ReadAsync(cancellationToken))
        {
            found.Add(Read(r));
        }

        return found;
    }

    /// <summary>A page of one repository's tags: a range of the unique index on reference, in its order, limited.</summary>
    internal const string RepositoryPageQuery = $"SELECT {Columns} FROM sightings WHERE reference > $lo AND reference < $hi ORDER BY reference LIMIT $limit";

    /// <summary>A page of the export: a range of the primary key, in its order, limited.</summary>
    internal const string ListQuery = $"SELECT {Columns}, seq FROM sightings WHERE seq > $after ORDER BY seq LIMIT $limit";

    public async Task<RepositoryPage> ListRepositoryPageAsync(ImageName image, string? afterTag, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = RepositoryPageQuery;
        cmd.Parameters.AddWithValue("$lo", RepositoryPage.LowerBound(image, afterTag));
        cmd.Parameters.AddWithValue("$hi", ISightingIndex.RepositoryRange(image).Before);
        cmd.Parameters.AddWithValue("$limit", (long)limit + 1);
        using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        return await RepositoryPage.ReadAsync(r, limit, Read, cancellationToken);
    }

    /// <summary>One repository's tags counted on the unique index of references (a covering index: no row is read).</summary>
    internal const string RepositoryCountQuery = "SELECT count(*) FROM sightings WHERE reference > $lo AND reference < $hi";

    public Task<long> CountRepositoryAsync(ImageName image, CancellationToken cancellationToken)
    {
        var (after, before) = ISightingIndex.RepositoryRange(image);
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = RepositoryCountQuery;
        cmd.Parameters.AddWithValue("$lo", after);
        cmd.Parameters.AddWithValue("$hi", before);
        return Task.FromResult(Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture));
    }

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();

        // The pool hands back the same SQLite connection, which keeps its settings: they are set
        // once per connection, not once per use, and again when another store on the same file
        // (other settings, same pool) used it last.
        if (!Configured.TryGetValue(c.Handle!, out var applied) || !ReferenceEquals(applied, _pragmas))
        {
            Exec(c, _pragmas);
            Configured.AddOrUpdate(c.Handle!, _pragmas);
        }

        return c;
    }

    /// <summary>The <c>synchronous</c> setting a connection of this store runs with (2: every commit durable, 1: not).</summary>
    internal long SynchronousInUse()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA synchronous";
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static Sighting Read(System.Data.Common.DbDataReader r) => new(
        TagReference.ParseCanonical(r.GetString(0)),
        Digest.Parse(r.GetString(1)),
        r.GetString(2),
        DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(3)),
        r.GetString(4),
        r.GetString(5),
        BundleJson.Read((byte[])r.GetValue(6)));

    /// <summary>The row with its content digest: only for a single pin, so listings hash nothing.</summary>
    private static StoredPin ReadStored(System.Data.Common.DbDataReader r) =>
        new(Read(r), StoredPin.Hash(r.GetString(0), r.GetString(1), r.GetString(2), DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(3)), r.GetString(4), r.GetString(5), (byte[])r.GetValue(6)), r.IsDBNull(7) ? null : (byte[])r.GetValue(7));

    private sealed class NoLock : IAsyncDisposable
    {
        public static readonly NoLock Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
