using System.Data.Common;
using Npgsql;
using Tlogistry.Oci;

namespace Tlogistry.Store;

/// <summary>The shared store's record of moved tags (migration step 6), bounded in rows.</summary>
internal sealed partial class PostgresSightingIndex
{
    private const string MoveColumns = "row_id, reference, pinned, upstream, pin_log_index, first_seen, last_seen, refusals, pinned_serves";

    /// <summary>
    /// One statement decides which replica saw the move first: the unique key lets one INSERT
    /// through and turns every other into an UPDATE, and every observation adds one to one
    /// count, so the row is new exactly when they sum to one. A retry after a commit whose
    /// answer was lost counts that observation twice and reports it as not first.
    /// </summary>
    public Task<MoveObservation> ObserveMoveAsync(TagReference tag, Digest pinned, Digest upstream, long pinLogIndex, MoveAnswer answer, DateTimeOffset at, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => ObserveMoveOnceAsync(tag, pinned, upstream, pinLogIndex, answer, at, cancellationToken), cancellationToken);

    public Task<MovePage> ListMovesAsync(MoveQuery query, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => ListMovesOnceAsync(query, cancellationToken), cancellationToken);

    private async Task<MoveObservation> ObserveMoveOnceAsync(TagReference tag, Digest pinned, Digest upstream, long pinLogIndex, MoveAnswer answer, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tag);
        await using var c = await _source.OpenConnectionAsync(cancellationToken);
        await using var tx = await c.BeginTransactionAsync(cancellationToken);
        TagMove move;
        MoveCursor stored;
        await using (var upsert = new NpgsqlCommand(
            $"""
            INSERT INTO tlogistry_tag_moves (reference, image, registry, pinned, upstream, pin_log_index, first_seen, last_seen, refusals, pinned_serves)
            VALUES (@ref, @img, @reg, @pin, @up, @li, @at, @at, @r, @s)
            ON CONFLICT (reference, pinned, upstream) DO UPDATE SET
                last_seen = greatest(tlogistry_tag_moves.last_seen, excluded.last_seen),
                refusals = tlogistry_tag_moves.refusals + excluded.refusals,
                pinned_serves = tlogistry_tag_moves.pinned_serves + excluded.pinned_serves
            RETURNING {MoveColumns}
            """,
            c,
            tx))
        {
            upsert.Parameters.AddWithValue("ref", tag.Canonical);
            upsert.Parameters.AddWithValue("img", tag.Name.Canonical);
            upsert.Parameters.AddWithValue("reg", tag.Name.Registry.Value);
            upsert.Parameters.AddWithValue("pin", pinned.ToString());
            upsert.Parameters.AddWithValue("up", upstream.ToString());
            upsert.Parameters.AddWithValue("li", pinLogIndex);
            upsert.Parameters.AddWithValue("at", MoveCursor.FromMicros(MoveCursor.Micros(at)));
            upsert.Parameters.AddWithValue("r", answer == MoveAnswer.Refused ? 1L : 0L);
            upsert.Parameters.AddWithValue("s", answer == MoveAnswer.ServedPinned ? 1L : 0L);
            await using var r = await upsert.ExecuteReaderAsync(cancellationToken);
            await r.ReadAsync(cancellationToken);
            (move, stored) = ReadMove(r);
        }

        var first = move.Refusals + move.PinnedServes == 1;
        if (first)
        {
            // A registry serving a new digest on every pull must not grow the record or announce
            // each one: past the cap the tag's longest-unseen digest makes room, and the tag's move
            // was announced already. The count reads only this tag's slice of the unique index.
            await using var cap = new NpgsqlCommand(
                """
                DELETE FROM tlogistry_tag_moves WHERE row_id IN (
                    SELECT row_id FROM tlogistry_tag_moves WHERE reference = @ref AND pinned = @pin AND row_id <> @new ORDER BY last_seen, row_id
                    LIMIT greatest(0, (SELECT count(*) FROM tlogistry_tag_moves WHERE reference = @ref AND pinned = @pin) - @cap))
                """,
                c,
                tx);
            cap.Parameters.AddWithValue("ref", tag.Canonical);
            cap.Parameters.AddWithValue("pin", pinned.ToString());
            cap.Parameters.AddWithValue("new", stored.Row);
            cap.Parameters.AddWithValue("cap", (long)ITagMoves.MaxUpstreamsPerPin);
            first = await cap.ExecuteNonQueryAsync(cancellationToken) == 0;
        }

        if (first)
        {
            // Only a new row can take the record past its bound. Room is made in the registry
            // holding the most rows, so one registry cannot push out the others' moves. Both counts
            // run only for a new tag move (each needs a sighting of its own first), not per pull.
            // Replicas adding rows at once may each drop the same row, leaving the record over by
            // a few until the next new row.
            await using var evict = new NpgsqlCommand(
                """
                DELETE FROM tlogistry_tag_moves WHERE row_id IN (
                    SELECT row_id FROM tlogistry_tag_moves
                    WHERE registry = (SELECT registry FROM tlogistry_tag_moves GROUP BY registry ORDER BY count(*) DESC, registry LIMIT 1)
                    ORDER BY last_seen, row_id LIMIT greatest(0, (SELECT count(*) FROM tlogistry_tag_moves) - @max))
                """,
                c,
                tx);
            evict.Parameters.AddWithValue("max", (long)_maxMoveRows);
            await evict.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return new MoveObservation(move, first);
    }

    private async Task<MovePage> ListMovesOnceAsync(MoveQuery query, CancellationToken cancellationToken)
    {
        var cursor = MoveCursor.Of(query);
        var limit = Math.Clamp(query.Limit, 1, ITagMoves.MaxPage);
        await using var cmd = _source.CreateCommand();
        // Only the filters asked for are in the statement, so the planner sees plain comparisons.
        var where = new List<string>();
        if (query.Registry is { } registry)
        {
            where.Add("registry = @reg");
            cmd.Parameters.AddWithValue("reg", registry);
        }

        if (query.Image is { } image)
        {
            where.Add("image = @img");
            cmd.Parameters.AddWithValue("img", image);
        }

        if (query.Since is { } since)
        {
            where.Add("last_seen >= @since");
            cmd.Parameters.AddWithValue("since", since.ToUniversalTime());
        }

        if (cursor is { } after)
        {
            where.Add("(last_seen, row_id) < (@cl, @cr)");
            cmd.Parameters.AddWithValue("cl", MoveCursor.FromMicros(after.LastSeenMicros));
            cmd.Parameters.AddWithValue("cr", after.Row);
        }

        cmd.Parameters.AddWithValue("n", limit + 1);
        cmd.CommandText = $"SELECT {MoveColumns} FROM tlogistry_tag_moves {(where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where))} ORDER BY last_seen DESC, row_id DESC LIMIT @n";
        var rows = new List<(TagMove Move, MoveCursor At)>();
        await using (var r = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await r.ReadAsync(cancellationToken))
            {
                rows.Add(ReadMove(r));
            }
        }

        // One row more than the page was read, only to know whether a next page exists.
        var next = rows.Count > limit ? rows[limit - 1].At.ToString() : null;
        return new MovePage([.. rows.Take(limit).Select(m => m.Move)], next);
    }

    /// <exception cref="FormatException">A row no tlogistry wrote.</exception>
    private static (TagMove Move, MoveCursor At) ReadMove(DbDataReader r)
    {
        var lastSeen = r.GetFieldValue<DateTimeOffset>(6);
        var move = new TagMove(
            TagReference.ParseCanonical(r.GetString(1)),
            Digest.Parse(r.GetString(2)),
            Digest.Parse(r.GetString(3)),
            r.GetInt64(4),
            r.GetFieldValue<DateTimeOffset>(5),
            lastSeen,
            r.GetInt64(7),
            r.GetInt64(8));
        return (move, new MoveCursor(MoveCursor.Micros(lastSeen), r.GetInt64(0)));
    }
}
