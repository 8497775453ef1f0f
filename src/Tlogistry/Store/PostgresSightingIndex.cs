using System.Globalization;
using Npgsql;
using Tlogistry.Oci;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Store;

/// <summary>
/// The shared store: one PostgreSQL database that several replicas use at once, through a
/// pooled data source. Same rules as the SQLite store (one pin per reference, one row per
/// log entry, export in the order rows were stored); first sightings are serialized across
/// replicas by a per-tag advisory lock. Every operation is tried once more on a fresh
/// connection when its pooled connection turns out dead (<see cref="BrokenConnection"/>).
/// </summary>
internal sealed partial class PostgresSightingIndex : ISightingIndex, IAsyncDisposable
{
    private const string Columns = "reference, digest, media_type, observed_at, upstream, identity, bundle";
    private readonly NpgsqlDataSource _source;
    private readonly TimeSpan _lockTimeout;
    private readonly int _maxMoveRows;

    private PostgresSightingIndex(NpgsqlDataSource source, TimeSpan lockTimeout, int maxMoveRows, string description)
    {
        _maxMoveRows = maxMoveRows;
        _source = source;
        _lockTimeout = lockTimeout;
        Description = description;
    }

    public string Description { get; }

    /// <summary>Connects, applies the schema migrations and returns the store.</summary>
    /// <param name="lockTimeout">Longest wait for a tag's first-sighting lock held by another replica.</param>
    public static Task<PostgresSightingIndex> OpenAsync(string connectionString, TimeSpan lockTimeout, CancellationToken cancellationToken) =>
        OpenAsync(connectionString, lockTimeout, ITagMoves.DefaultMaxRows, cancellationToken);

    /// <inheritdoc cref="OpenAsync(string, TimeSpan, CancellationToken)"/>
    /// <param name="maxMoveRows">The bound of the record of moved tags, in rows.</param>
    public static async Task<PostgresSightingIndex> OpenAsync(string connectionString, TimeSpan lockTimeout, int maxMoveRows, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.ApplicationName ??= "tlogistry";

        // Nothing here leaves session state on a pooled connection (the tag lock's timeout is
        // local to its transaction, the lock itself is released or its connection dropped), so
        // a connection going back to the pool needs no reset: one statement less for the server
        // on every use. Set whatever the connection string says.
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        var csb = builder.ConnectionStringBuilder;
        var description = string.Create(CultureInfo.InvariantCulture, $"postgres ({csb.Host}:{csb.Port}/{csb.Database ?? csb.Username})");
        var source = builder.Build();
        try
        {
            await PostgresMigrations.ApplyAsync(source, cancellationToken);
        }
        catch
        {
            await source.DisposeAsync();
            throw;
        }

        return new PostgresSightingIndex(source, lockTimeout, maxMoveRows, description);
    }

    public async Task<Sighting?> FindAsync(TagReference reference, CancellationToken cancellationToken) =>
        (await FindStoredAsync(reference, cancellationToken))?.Pin;

    public Task<StoredPin?> FindStoredAsync(TagReference reference, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => FindOnceAsync(reference, cancellationToken), cancellationToken);

    private async Task<StoredPin?> FindOnceAsync(TagReference reference, CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand($"SELECT {Columns}, stamp FROM tlogistry_sightings WHERE reference = @r");
        cmd.Parameters.AddWithValue("r", reference.Canonical);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        return await r.ReadAsync(cancellationToken) ? ReadStored(r) : null;
    }

    /// <summary>
    /// A transaction lost with its connection never committed, so the retry cannot store a row
    /// twice (a commit whose answer was lost is refused by the unique reference instead).
    /// </summary>
    public Task SaveAsync(Sighting s, CancellationToken cancellationToken, RowSeal? seal = null) =>
        RetryOnceAsync(() => SaveOnceAsync(s, seal, cancellationToken), cancellationToken);

    public Task StampAsync(IReadOnlyList<(TagReference Reference, byte[] Stamp)> stamps, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stamps);
        return RetryOnceAsync(
            async () =>
            {
                await using var cmd = _source.CreateCommand("UPDATE tlogistry_sightings s SET stamp = u.stamp FROM unnest(@refs, @stamps) AS u(reference, stamp) WHERE s.reference = u.reference");
                cmd.Parameters.AddWithValue("refs", stamps.Select(x => x.Reference.Canonical).ToArray());
                cmd.Parameters.AddWithValue("stamps", stamps.Select(x => x.Stamp).ToArray());
                await cmd.ExecuteNonQueryAsync(cancellationToken);
            },
            cancellationToken);
    }

    public Task ClearStampsAsync(CancellationToken cancellationToken) =>
        RetryOnceAsync(
            async () =>
            {
                await using var cmd = _source.CreateCommand("UPDATE tlogistry_sightings SET stamp = NULL WHERE stamp IS NOT NULL");
                await cmd.ExecuteNonQueryAsync(cancellationToken);
            },
            cancellationToken);

    private async Task SaveOnceAsync(Sighting s, RowSeal? seal, CancellationToken cancellationToken)
    {
        // Writers take turns (readers do not wait): a row's seq is then drawn after every
        // earlier row committed, so an export paging by seq never passes a row that commits later.
        // The whole transaction goes in one round trip, so the table lock is held for the
        // server's work and the commit alone, never while this process gets to its next step.
        var insert = new NpgsqlBatchCommand("INSERT INTO tlogistry_sightings (reference, digest, media_type, observed_at, upstream, identity, log_id, log_index, bundle, stamp) VALUES (@ref, @dig, @mt, @obs, @up, @id, @lid, @li, @b, @stamp)");
        var bundle = Bind(insert.Parameters, s);

        // Sealed over the content as a read will find it: timestamptz keeps whole microseconds, in UTC.
        var ticks = s.ObservedAt.UtcTicks;
        insert.Parameters.Add(new NpgsqlParameter("stamp", NpgsqlTypes.NpgsqlDbType.Bytea)
        {
            Value = seal is null ? DBNull.Value : seal(StoredPin.Hash(s.Reference.Canonical, s.Digest.ToString(), s.MediaType, new DateTimeOffset(ticks - (ticks % 10), TimeSpan.Zero), s.Upstream, s.Identity, bundle)),
        });

        await using var c = await _source.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(c)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("BEGIN"),
                new NpgsqlBatchCommand("LOCK TABLE tlogistry_sightings IN EXCLUSIVE MODE"),
                insert,
                new NpgsqlBatchCommand("COMMIT"),
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Binds the row's columns; returns the bundle's bytes as bound.</summary>
    private static byte[] Bind(NpgsqlParameterCollection parameters, Sighting s)
    {
        parameters.AddWithValue("ref", s.Reference.Canonical);
        parameters.AddWithValue("dig", s.Digest.ToString());
        parameters.AddWithValue("mt", s.MediaType);
        parameters.AddWithValue("obs", s.ObservedAt.ToUniversalTime());
        parameters.AddWithValue("up", s.Upstream);
        parameters.AddWithValue("id", s.Identity);
        parameters.AddWithValue("lid", s.LogId);
        parameters.AddWithValue("li", s.LogIndex);
        var bundle = BundleJson.Write(s.Bundle);
        parameters.AddWithValue("b", bundle);
        return bundle;
    }

    public Task ReplaceAsync(Sighting stored, Sighting earlier, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => ReplaceOnceAsync(stored, earlier, cancellationToken), cancellationToken);

    private async Task ReplaceOnceAsync(Sighting stored, Sighting earlier, CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand("""
            UPDATE tlogistry_sightings SET digest = @dig, media_type = @mt, observed_at = @obs, upstream = @up, identity = @id, log_id = @lid, log_index = @li, bundle = @b, stamp = NULL
            WHERE reference = @ref AND log_id = @oldlid AND log_index = @oldli
            """);
        Bind(cmd.Parameters, earlier);
        cmd.Parameters.AddWithValue("oldlid", stored.LogId);
        cmd.Parameters.AddWithValue("oldli", stored.LogIndex);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task ForgetAsync(Sighting sighting, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => ForgetOnceAsync(sighting, cancellationToken), cancellationToken);

    private async Task ForgetOnceAsync(Sighting sighting, CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand("DELETE FROM tlogistry_sightings WHERE log_id = @lid AND log_index = @li");
        cmd.Parameters.AddWithValue("lid", sighting.LogId);
        cmd.Parameters.AddWithValue("li", sighting.LogIndex);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<RememberedCheckpoint?> RememberedCheckpointAsync(string log, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => RememberedCheckpointOnceAsync(log, cancellationToken), cancellationToken);

    private async Task<RememberedCheckpoint?> RememberedCheckpointOnceAsync(string log, CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand("SELECT size, root_hash, note FROM tlogistry_log_checkpoints WHERE origin = @o");
        cmd.Parameters.AddWithValue("o", log);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        return await r.ReadAsync(cancellationToken) ? new RememberedCheckpoint(log, r.GetInt64(0), r.GetFieldValue<byte[]>(1), r.GetString(2)) : null;
    }

    public Task RememberCheckpointAsync(RememberedCheckpoint checkpoint, bool replace, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => RememberCheckpointOnceAsync(checkpoint, replace, cancellationToken), cancellationToken);

    private async Task RememberCheckpointOnceAsync(RememberedCheckpoint checkpoint, bool replace, CancellationToken cancellationToken)
    {
        // Replicas remember concurrently: the row only ever grows, whoever writes last.
        await using var cmd = _source.CreateCommand($"""
            INSERT INTO tlogistry_log_checkpoints (origin, size, root_hash, note) VALUES (@o, @s, @r, @n)
            ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root_hash = excluded.root_hash, note = excluded.note, remembered_at = now()
            {(replace ? "" : "WHERE excluded.size > tlogistry_log_checkpoints.size")}
            """);
        cmd.Parameters.AddWithValue("o", checkpoint.Log);
        cmd.Parameters.AddWithValue("s", checkpoint.Size);
        cmd.Parameters.AddWithValue("r", checkpoint.RootHash);
        cmd.Parameters.AddWithValue("n", checkpoint.Note);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<SightingPage> ListAsync(long after, int limit, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => ListOnceAsync(after, limit, cancellationToken), cancellationToken);

    private async Task<SightingPage> ListOnceAsync(long after, int limit, CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand(ListQuery);
        cmd.Parameters.AddWithValue("after", after);
        cmd.Parameters.AddWithValue("limit", (long)limit + 1);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        return await SightingPage.ReadAsync(r, after, limit, 7, Read, cancellationToken);
    }

    /// <summary>The sightings of one repository's tags: references between <c>@lo</c> and <c>@hi</c>, in byte order.</summary>
    internal const string RepositoryQuery = $"""
        SELECT {Columns} FROM tlogistry_sightings
        WHERE reference COLLATE "C" > @lo AND reference COLLATE "C" < @hi ORDER BY reference COLLATE "C"
        """;

    /// <summary>A page of one repository's tags: a range of the byte-ordered index, in its order, limited.</summary>
    internal const string RepositoryPageQuery = $"""
        SELECT {Columns} FROM tlogistry_sightings
        WHERE reference COLLATE "C" > @lo AND reference COLLATE "C" < @hi ORDER BY reference COLLATE "C" LIMIT @limit
        """;

    /// <summary>A page of the export: a range of the primary key, in its order, limited.</summary>
    internal const string ListQuery = $"SELECT {Columns}, seq FROM tlogistry_sightings WHERE seq > @after ORDER BY seq LIMIT @limit";

    public Task<RepositoryPage> ListRepositoryPageAsync(ImageName image, string? afterTag, int limit, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => ListRepositoryPageOnceAsync(image, afterTag, limit, cancellationToken), cancellationToken);

    private async Task<RepositoryPage> ListRepositoryPageOnceAsync(ImageName image, string? afterTag, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var cmd = _source.CreateCommand(RepositoryPageQuery);
        cmd.Parameters.AddWithValue("lo", RepositoryPage.LowerBound(image, afterTag));
        cmd.Parameters.AddWithValue("hi", ISightingIndex.RepositoryRange(image).Before);
        cmd.Parameters.AddWithValue("limit", (long)limit + 1);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        return await RepositoryPage.ReadAsync(r, limit, Read, cancellationToken);
    }

    /// <summary>One repository's tags counted on the byte-ordered index of references.</summary>
    internal const string RepositoryCountQuery = """SELECT count(*) FROM tlogistry_sightings WHERE reference COLLATE "C" > @lo AND reference COLLATE "C" < @hi""";

    public Task<long> CountRepositoryAsync(ImageName image, CancellationToken cancellationToken) =>
        RetryOnceAsync(
            async () =>
            {
                var (after, before) = ISightingIndex.RepositoryRange(image);
                await using var cmd = _source.CreateCommand(RepositoryCountQuery);
                cmd.Parameters.AddWithValue("lo", after);
                cmd.Parameters.AddWithValue("hi", before);
                return Convert.ToInt64(await cmd.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
            },
            cancellationToken);

    public Task<IReadOnlyList<Sighting>> ListRepositoryAsync(ImageName image, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => ListRepositoryOnceAsync(image, cancellationToken), cancellationToken);

    private async Task<IReadOnlyList<Sighting>> ListRepositoryOnceAsync(ImageName image, CancellationToken cancellationToken)
    {
        // A range scan of the byte-ordered index on reference (schema step 2).
        var (after, before) = ISightingIndex.RepositoryRange(image);
        await using var cmd = _source.CreateCommand(RepositoryQuery);
        cmd.Parameters.AddWithValue("lo", after);
        cmd.Parameters.AddWithValue("hi", before);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var found = new List<Sighting>();
        while (await r.ReadAsync(cancellationToken))
        {
            found.Add(Read(r));
        }

        return found;
    }

    /// <summary>
    /// <c>pg_advisory_lock</c> on a connection of its own, held until disposed. The wait is
    /// bounded by <c>lock_timeout</c>, set for that statement's transaction alone (the
    /// session-level lock outlives the transaction); a holder that dies releases the lock with
    /// its connection.
    /// </summary>
    public Task<IAsyncDisposable> LockTagAsync(TagReference reference, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => LockTagOnceAsync(reference, cancellationToken), cancellationToken);

    private async Task<IAsyncDisposable> LockTagOnceAsync(TagReference reference, CancellationToken cancellationToken)
    {
        var key = AdvisoryKey.For(reference.Canonical);
        var c = await _source.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var batch = new NpgsqlBatch(c)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("BEGIN"),
                    new NpgsqlBatchCommand("SELECT set_config('lock_timeout', @timeout, true)")
                    {
                        Parameters = { new NpgsqlParameter("timeout", ((long)_lockTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)) },
                    },
                    new NpgsqlBatchCommand("SELECT pg_advisory_lock(@key)") { Parameters = { new NpgsqlParameter("key", key) } },
                    new NpgsqlBatchCommand("COMMIT"),
                },

                // The server's lock_timeout decides; the client only guards against a server that stops answering.
                Timeout = (int)Math.Ceiling(_lockTimeout.TotalSeconds) + 10,
            };
            await batch.ExecuteNonQueryAsync(cancellationToken);
            return new TagLock(_source, c, key);
        }
        catch (Exception e)
        {
            // Unless the server said the lock was not had in time, whether it was taken is
            // unknown: then the connection must not go back to the pool, where it could keep it.
            if (e is not PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable })
            {
                _source.Clear();
            }

            await c.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads the tables pins are served from, column by column, so a dropped or altered table makes the store unready.</summary>
    public Task CheckAsync(CancellationToken cancellationToken) => RetryOnceAsync(
        async () =>
        {
            await using var cmd = _source.CreateCommand($"SELECT {Columns}, log_id, log_index, seq FROM tlogistry_sightings LIMIT 1; SELECT origin, size, root_hash, note FROM tlogistry_log_checkpoints LIMIT 1");
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await r.NextResultAsync(cancellationToken))
            {
            }

            return 0;
        },
        cancellationToken);

    /// <summary>
    /// Runs <paramref name="operation"/>, and once more on a fresh connection when the first try
    /// lost its connection: after a server restart every idle pooled connection is dead, and
    /// the pool is cleared so the second try opens a new one.
    /// </summary>
    private Task<int> RetryOnceAsync(Func<Task> operation, CancellationToken cancellationToken) =>
        RetryOnceAsync(async () => { await operation(); return 0; }, cancellationToken);

    private async Task<T> RetryOnceAsync<T>(Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await operation();
        }
        catch (Exception e) when (BrokenConnection.Is(e) && !cancellationToken.IsCancellationRequested)
        {
            _source.Clear();
            return await operation();
        }
    }

    public ValueTask DisposeAsync() => _source.DisposeAsync();

    private static Sighting Read(System.Data.Common.DbDataReader r) => new(
        TagReference.ParseCanonical(r.GetString(0)),
        Digest.Parse(r.GetString(1)),
        r.GetString(2),
        r.GetFieldValue<DateTimeOffset>(3),
        r.GetString(4),
        r.GetString(5),
        BundleJson.Read(r.GetFieldValue<byte[]>(6)));

    /// <summary>The row with its content digest: only for a single pin, so listings hash nothing.</summary>
    private static StoredPin ReadStored(System.Data.Common.DbDataReader r) =>
        new(Read(r), StoredPin.Hash(r.GetString(0), r.GetString(1), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3), r.GetString(4), r.GetString(5), r.GetFieldValue<byte[]>(6)), r.IsDBNull(7) ? null : r.GetFieldValue<byte[]>(7));

    /// <summary>
    /// A held tag lock: disposing unlocks it and returns the connection to the pool. When the
    /// unlock fails, the pool is cleared, which closes this connection when it comes back
    /// instead of keeping it idle with the lock (the server drops a connection's locks with it).
    /// </summary>
    private sealed class TagLock : IAsyncDisposable
    {
        private readonly NpgsqlDataSource _source;
        private readonly NpgsqlConnection _connection;
        private readonly long _key;

        public TagLock(NpgsqlDataSource source, NpgsqlConnection connection, long key)
        {
            _source = source;
            _connection = connection;
            _key = key;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var cmd = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", _connection);
                cmd.Parameters.AddWithValue("key", _key);
                await cmd.ExecuteNonQueryAsync(CancellationToken.None);
            }
            catch (Exception)
            {
                // Whatever failed, the lock may still be held: the connection must not be pooled.
                _source.Clear();
            }
            finally
            {
                await _connection.DisposeAsync();
            }
        }
    }
}
