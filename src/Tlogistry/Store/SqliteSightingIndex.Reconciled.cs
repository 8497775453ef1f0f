using System.Globalization;

namespace Tlogistry.Store;

/// <summary>The SQLite store's reconciled marks (schema step 10) and the search for the first log index it lacks.</summary>
internal sealed partial class SqliteSightingIndex
{
    private const string ReconciledTable = """
        CREATE TABLE IF NOT EXISTS reconciled_marks (
            log_id TEXT PRIMARY KEY,
            through INTEGER NOT NULL);
        """;

    /// <summary>
    /// Indexes are unique and from 0, so as many rows from <c>$f</c> on as the highest index
    /// minus <c>$f</c> plus one means no gap: the next index is the answer, from one pass over
    /// that range of the (log_id, log_index) index and no probe per row. Otherwise (a stop left
    /// a gap): <c>$f</c> if it is missing, else the first held index whose successor is missing.
    /// </summary>
    internal const string FirstUnindexedQuery = """
        SELECT CASE WHEN (SELECT count(*) FROM sightings WHERE log_id = $l AND log_index >= $f)
                         = coalesce((SELECT max(log_index) FROM sightings WHERE log_id = $l AND log_index >= $f), $f - 1) + 1 - $f
                    THEN coalesce((SELECT max(log_index) FROM sightings WHERE log_id = $l AND log_index >= $f), $f - 1) + 1
               WHEN NOT EXISTS (SELECT 1 FROM sightings WHERE log_id = $l AND log_index = $f) THEN $f
               ELSE (SELECT MIN(s.log_index) + 1 FROM sightings s
                     WHERE s.log_id = $l AND s.log_index >= $f
                       AND NOT EXISTS (SELECT 1 FROM sightings n WHERE n.log_id = $l AND n.log_index > $f AND n.log_index = s.log_index + 1)) END
        """;

    public Task<long> FirstUnindexedAsync(string logId, long from, CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = FirstUnindexedQuery;
        cmd.Parameters.AddWithValue("$l", logId);
        cmd.Parameters.AddWithValue("$f", from);
        return Task.FromResult(Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture));
    }

    public Task<long> ReconciledThroughAsync(string logId, CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT through FROM reconciled_marks WHERE log_id = $l";
        cmd.Parameters.AddWithValue("$l", logId);
        return Task.FromResult(cmd.ExecuteScalar() is { } through ? Convert.ToInt64(through, CultureInfo.InvariantCulture) : 0L);
    }

    public Task MarkReconciledAsync(string logId, long through, bool replace, CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            INSERT INTO reconciled_marks (log_id, through) VALUES ($l, $t)
            ON CONFLICT (log_id) DO UPDATE SET through = excluded.through
            {(replace ? "" : "WHERE excluded.through > reconciled_marks.through")}
            """;
        cmd.Parameters.AddWithValue("$l", logId);
        cmd.Parameters.AddWithValue("$t", through);
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }
}
