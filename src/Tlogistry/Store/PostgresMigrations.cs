using Npgsql;

namespace Tlogistry.Store;

/// <summary>
/// The PostgreSQL schema as numbered steps, applied at start in one transaction under an
/// advisory lock, so replicas starting together do not race; each applied step is a row of
/// <c>tlogistry_schema_migrations</c>. A database at a higher version than this binary knows
/// was written by a newer tlogistry: the start is refused rather than risk misreading it.
/// </summary>
internal static class PostgresMigrations
{
    public const string Table = "tlogistry_schema_migrations";

    /// <summary>Step n (1-based) brings the schema to version n. Never edit a step once released: append one.</summary>
    private static readonly string[] Steps =
    [
        """
        CREATE TABLE tlogistry_sightings (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            reference text NOT NULL UNIQUE,
            digest text NOT NULL,
            media_type text NOT NULL,
            observed_at timestamptz NOT NULL,
            upstream text NOT NULL,
            identity text NOT NULL,
            log_id text NOT NULL,
            log_index bigint NOT NULL,
            bundle bytea NOT NULL,
            UNIQUE (log_id, log_index))
        """,

        // Byte-ordered, whatever the database's collation, so one repository's tags are one range.
        """
        CREATE INDEX tlogistry_sightings_reference_bytes ON tlogistry_sightings (reference COLLATE "C")
        """,

        // The largest verified checkpoint of each log, so a log that goes back stops the start.
        """
        CREATE TABLE tlogistry_log_checkpoints (
            origin text PRIMARY KEY,
            size bigint NOT NULL,
            root_hash bytea NOT NULL,
            note text NOT NULL,
            remembered_at timestamptz NOT NULL DEFAULT now())
        """,

        // What each first sighting sent (or was about to send) to the log, stored before the append.
        """
        CREATE TABLE tlogistry_intents (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            reference text NOT NULL UNIQUE,
            intent bytea NOT NULL,
            stored_at timestamptz NOT NULL DEFAULT now())
        """,

        // Each pinned tag's manifest bytes, so the tag can be answered while upstream is down.
        """
        CREATE TABLE tlogistry_held_manifests (
            reference text PRIMARY KEY,
            digest text NOT NULL,
            media_type text NOT NULL,
            size bigint NOT NULL,
            bytes bytea NOT NULL,
            held_at timestamptz NOT NULL DEFAULT now())
        """,

        // Tags seen moved upstream, one row per (tag, pinned, upstream), newest first by last seen.
        """
        CREATE TABLE tlogistry_tag_moves (
            row_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            reference text NOT NULL,
            image text NOT NULL,
            registry text NOT NULL,
            pinned text NOT NULL,
            upstream text NOT NULL,
            pin_log_index bigint NOT NULL,
            first_seen timestamptz NOT NULL,
            last_seen timestamptz NOT NULL,
            refusals bigint NOT NULL,
            pinned_serves bigint NOT NULL,
            UNIQUE (reference, pinned, upstream));
        CREATE INDEX tlogistry_tag_moves_last_seen ON tlogistry_tag_moves (last_seen, row_id);
        CREATE INDEX tlogistry_tag_moves_image ON tlogistry_tag_moves (image, last_seen, row_id)
        """,

        // The held manifests' total bytes, kept by a trigger, so their bound is checked without summing every row.
        // Locked first, so no row written by a replica still running the older version falls
        // between the sum and the trigger.
        """
        LOCK TABLE tlogistry_held_manifests IN SHARE ROW EXCLUSIVE MODE;
        CREATE TABLE tlogistry_held_total (id integer PRIMARY KEY CHECK (id = 1), bytes bigint NOT NULL);
        INSERT INTO tlogistry_held_total (id, bytes) SELECT 1, coalesce(sum(size), 0) FROM tlogistry_held_manifests;
        CREATE FUNCTION tlogistry_held_total_track() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                UPDATE tlogistry_held_total SET bytes = bytes + NEW.size WHERE id = 1;
            ELSIF TG_OP = 'UPDATE' THEN
                UPDATE tlogistry_held_total SET bytes = bytes - OLD.size + NEW.size WHERE id = 1;
            ELSE
                UPDATE tlogistry_held_total SET bytes = bytes - OLD.size WHERE id = 1;
            END IF;
            RETURN NULL;
        END
        $body$;
        CREATE TRIGGER tlogistry_held_total_track AFTER INSERT OR UPDATE OF size OR DELETE ON tlogistry_held_manifests
            FOR EACH ROW EXECUTE FUNCTION tlogistry_held_total_track()
        """,

        // Each intent marked pinned once its tag has a pin, kept by a trigger on the pins, so the
        // intents without one are read from a partial index instead of probing every pin.
        """
        LOCK TABLE tlogistry_sightings, tlogistry_intents IN SHARE ROW EXCLUSIVE MODE;
        ALTER TABLE tlogistry_intents ADD COLUMN pinned boolean NOT NULL DEFAULT false;
        UPDATE tlogistry_intents i SET pinned = true WHERE EXISTS (SELECT 1 FROM tlogistry_sightings s WHERE s.reference = i.reference);
        CREATE INDEX tlogistry_intents_unpinned ON tlogistry_intents (seq) WHERE NOT pinned;
        CREATE FUNCTION tlogistry_intent_pin() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                UPDATE tlogistry_intents SET pinned = true WHERE reference = NEW.reference;
            ELSE
                UPDATE tlogistry_intents SET pinned = false WHERE reference = OLD.reference;
            END IF;
            RETURN NULL;
        END
        $body$;
        CREATE TRIGGER tlogistry_intent_pin AFTER INSERT OR DELETE ON tlogistry_sightings
            FOR EACH ROW EXECUTE FUNCTION tlogistry_intent_pin()
        """,

        // Each pin's verification stamp: a MAC by the instance over the row's content, so a
        // later process trusts the row without verifying its bundle again (NULL: verify in full).
        """
        ALTER TABLE tlogistry_sightings ADD COLUMN stamp bytea
        """,

        // Per log, the index below which every entry was held when it was set: a start reads the
        // log from there instead of counting every row.
        """
        CREATE TABLE tlogistry_reconciled (log_id text PRIMARY KEY, through bigint NOT NULL)
        """,
    ];

    public static int Latest => Steps.Length;

    /// <summary>Brings the database to <see cref="Latest"/>; returns the version it was at.</summary>
    /// <exception cref="InvalidDataException">The database is at a version newer than <see cref="Latest"/>.</exception>
    public static async Task<int> ApplyAsync(NpgsqlDataSource source, CancellationToken cancellationToken)
    {
        await using var c = await source.OpenConnectionAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        await ExecAsync(c, "SELECT pg_advisory_xact_lock(@key)", cancellationToken, ("key", AdvisoryKey.Migrations));

        // Only under the lock: CREATE TABLE IF NOT EXISTS itself races when two run at once.
        await ExecAsync(c, $"CREATE TABLE IF NOT EXISTS {Table} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", cancellationToken);
        await using var read = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {Table}", c);
        var found = (int)(await read.ExecuteScalarAsync(cancellationToken))!;
        if (found > Latest)
        {
            throw new InvalidDataException(
                $"the PostgreSQL store is at schema version {found}, newer than the {Latest} this tlogistry knows; run a tlogistry at least as new as the one that migrated it");
        }

        for (var version = found + 1; version <= Latest; version++)
        {
            await ExecAsync(c, Steps[version - 1], cancellationToken);
            await ExecAsync(c, $"INSERT INTO {Table} (version) VALUES (@version)", cancellationToken, ("version", version));
        }

        await tx.CommitAsync(cancellationToken);
        return found;
    }

    private static async Task ExecAsync(NpgsqlConnection c, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
