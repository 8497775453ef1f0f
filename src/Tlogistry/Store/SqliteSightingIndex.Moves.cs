using Microsoft.Data.Sqlite;
using Tlogistry.Oci;

namespace Tlogistry.Store;

/// <summary>The SQLite store's record of moved tags (schema step 6), bounded in rows.</summary>
internal sealed partial class SqliteSightingIndex
{
    // Times are Unix microseconds, as MoveCursor spells them.
    private const string MovesTable = """
        CREATE TABLE IF NOT EXISTS tag_moves (
            row INTEGER PRIMARY KEY AUTOINCREMENT,
            reference TEXT NOT NULL,
            image TEXT NOT NULL,
            registry TEXT NOT NULL,
            pinned TEXT NOT NULL,
            upstream TEXT NOT NULL,
            pin_log_index INTEGER NOT NULL,
            first_seen INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            refusals INTEGER NOT NULL,
            pinned_serves INTEGER NOT NULL,
            UNIQUE (reference, pinned, upstream));
        CREATE INDEX IF NOT EXISTS tag_moves_last_seen ON tag_moves (last_seen, row);
        CREATE INDEX IF NOT EXISTS tag_moves_image ON tag_moves (image, last_seen, row);
        """;

    private const string MoveColumns = "row, reference, pinned, upstream, pin_log_index, first_seen, last_seen, refusals, pinned_serves";

    public Task<MoveObservation> ObserveMoveAsync(TagReference tag, Digest pinned, Digest upstream, long pinLogIndex, MoveAnswer answer, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tag);
        using var c = Open();
        using var tx = c.BeginTransaction();
        using var upsert = c.CreateCommand();
        upsert.Transaction = tx;
        // Every observation adds one to one count: the row is new exactly when they sum to one.
        upsert.CommandText = $"""
            INSERT INTO tag_moves (reference, image, registry, pinned, upstream, pin_log_index, first_seen, last_seen, refusals, pinned_serves)
            VALUES ($ref, $img, $reg, $pin, $up, $li, $at, $at, $r, $s)
            ON CONFLICT (reference, pinned, upstream) DO UPDATE SET
                last_seen = max(last_seen, excluded.last_seen), refusals = refusals + excluded.refusals, pinned_serves = pinned_serves + excluded.pinned_serves
            RETURNING {MoveColumns}
            """;
        upsert.Parameters.AddWithValue("$ref", tag.Canonical);
        upsert.Parameters.AddWithValue("$img", tag.Name.Canonical);
        upsert.Parameters.AddWithValue("$reg", tag.Name.Registry.Value);
        upsert.Parameters.AddWithValue("$pin", pinned.ToString());
        upsert.Parameters.AddWithValue("$up", upstream.ToString());
        upsert.Parameters.AddWithValue("$li", pinLogIndex);
        upsert.Parameters.AddWithValue("$at", MoveCursor.Micros(at));
        upsert.Parameters.AddWithValue("$r", answer == MoveAnswer.Refused ? 1L : 0L);
        upsert.Parameters.AddWithValue("$s", answer == MoveAnswer.ServedPinned ? 1L : 0L);
        TagMove move;
        MoveCursor stored;
        using (var r = upsert.ExecuteReader())
        {
            r.Read();
            (move, stored) = ReadMove(r);
        }

        var first = move.Refusals + move.PinnedServes == 1;
        if (first)
        {
            // A registry serving a new digest on every pull must not grow the record or announce
            // each one: past the cap the tag's longest-unseen digest makes room, and the tag's move
            // was announced already. The count reads only this tag's slice of the unique index.
            using var cap = c.CreateCommand();
            cap.Transaction = tx;
            cap.CommandText = """
                DELETE FROM tag_moves WHERE row IN (
                    SELECT row FROM tag_moves WHERE reference = $ref AND pinned = $pin AND row <> $new ORDER BY last_seen, row
                    LIMIT max(0, (SELECT count(*) FROM tag_moves WHERE reference = $ref AND pinned = $pin) - $cap))
                """;
            cap.Parameters.AddWithValue("$ref", tag.Canonical);
            cap.Parameters.AddWithValue("$pin", pinned.ToString());
            cap.Parameters.AddWithValue("$new", stored.Row);
            cap.Parameters.AddWithValue("$cap", ITagMoves.MaxUpstreamsPerPin);
            first = cap.ExecuteNonQuery() == 0;
        }

        if (first)
        {
            // Only a new row can take the record past its bound. Room is made in the registry
            // holding the most rows, so one registry cannot push out the others' moves. Both counts
            // run only for a new tag move (each needs a sighting of its own first), not per pull.
            using var evict = c.CreateCommand();
            evict.Transaction = tx;
            evict.CommandText = """
                DELETE FROM tag_moves WHERE row IN (
                    SELECT row FROM tag_moves WHERE registry = (SELECT registry FROM tag_moves GROUP BY registry ORDER BY count(*) DESC, registry LIMIT 1)
                    ORDER BY last_seen, row LIMIT max(0, (SELECT count(*) FROM tag_moves) - $max))
                """;
            evict.Parameters.AddWithValue("$max", _maxMoveRows);
            evict.ExecuteNonQuery();
        }

        tx.Commit();
        return Task.FromResult(new MoveObservation(move, first));
    }

    public Task<MovePage> ListMovesAsync(MoveQuery query, CancellationToken cancellationToken)
    {
        var cursor = MoveCursor.Of(query);
        var limit = Math.Clamp(query.Limit, 1, ITagMoves.MaxPage);
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            SELECT {MoveColumns} FROM tag_moves
            WHERE ($reg IS NULL OR registry = $reg) AND ($img IS NULL OR image = $img) AND ($since IS NULL OR last_seen >= $since)
              AND ($cl IS NULL OR last_seen < $cl OR (last_seen = $cl AND row < $cr))
            ORDER BY last_seen DESC, row DESC LIMIT $n
            """;
        cmd.Parameters.AddWithValue("$reg", (object?)query.Registry ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$img", (object?)query.Image ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$since", query.Since is { } since ? MoveCursor.Micros(since) : DBNull.Value);
        cmd.Parameters.AddWithValue("$cl", cursor is { } at ? at.LastSeenMicros : DBNull.Value);
        cmd.Parameters.AddWithValue("$cr", cursor is { } from ? from.Row : DBNull.Value);
        cmd.Parameters.AddWithValue("$n", limit + 1);
        var rows = new List<(TagMove Move, MoveCursor At)>();
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                rows.Add(ReadMove(r));
            }
        }

        // One row more than the page was read, only to know whether a next page exists.
        var next = rows.Count > limit ? rows[limit - 1].At.ToString() : null;
        return Task.FromResult(new MovePage([.. rows.Take(limit).Select(m => m.Move)], next));
    }

    /// <exception cref="FormatException">A row no tlogistry wrote.</exception>
    private static (TagMove Move, MoveCursor At) ReadMove(SqliteDataReader r)
    {
        var lastSeen = r.GetInt64(6);
        var move = new TagMove(
            TagReference.ParseCanonical(r.GetString(1)),
            Digest.Parse(r.GetString(2)),
            Digest.Parse(r.GetString(3)),
            r.GetInt64(4),
            MoveCursor.FromMicros(r.GetInt64(5)),
            MoveCursor.FromMicros(lastSeen),
            r.GetInt64(7),
            r.GetInt64(8));
        return (move, new MoveCursor(lastSeen, r.GetInt64(0)));
    }
}
