using System.Globalization;

namespace Tlogistry.Store;

/// <summary>The PostgreSQL store's reconciled marks (migration step 10) and the search for the first log index it lacks.</summary>
internal sealed partial class PostgresSightingIndex
{
    /// <summary>As in the SQLite store: one pass over the index range from <c>@f</c> when it has no gap.</summary>
    internal const string FirstUnindexedQuery = """
        SELECT CASE WHEN (SELECT count(*) FROM tlogistry_sightings WHERE log_id = @l AND log_index >= @f)
                         = coalesce((SELECT max(log_index) FROM tlogistry_sightings WHERE log_id = @l AND log_index >= @f), @f - 1) + 1 - @f
                    THEN coalesce((SELECT max(log_index) FROM tlogistry_sightings WHERE log_id = @l AND log_index >= @f), @f - 1) + 1
               WHEN NOT EXISTS (SELECT 1 FROM tlogistry_sightings WHERE log_id = @l AND log_index = @f) THEN @f
               ELSE (SELECT MIN(s.log_index) + 1 FROM tlogistry_sightings s
                     WHERE s.log_id = @l AND s.log_index >= @f
                       AND NOT EXISTS (SELECT 1 FROM tlogistry_sightings n WHERE n.log_id = @l AND n.log_index > @f AND n.log_index = s.log_index + 1)) END
        """;

    public Task<long> FirstUnindexedAsync(string logId, long from, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => FirstUnindexedOnceAsync(logId, from, cancellationToken), cancellationToken);

    private async Task<long> FirstUnindexedOnceAsync(string logId, long from, CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand(FirstUnindexedQuery);
        cmd.Parameters.AddWithValue("l", logId);
        cmd.Parameters.AddWithValue("f", from);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    public Task<long> ReconciledThroughAsync(string logId, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => ReconciledThroughOnceAsync(logId, cancellationToken), cancellationToken);

    private async Task<long> ReconciledThroughOnceAsync(string logId, CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand("SELECT through FROM tlogistry_reconciled WHERE log_id = @l");
        cmd.Parameters.AddWithValue("l", logId);
        return await cmd.ExecuteScalarAsync(cancellationToken) is long through ? through : 0L;
    }

    public Task MarkReconciledAsync(string logId, long through, bool replace, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => MarkReconciledOnceAsync(logId, through, replace, cancellationToken), cancellationToken);

    private async Task MarkReconciledOnceAsync(string logId, long through, bool replace, CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand($"""
            INSERT INTO tlogistry_reconciled (log_id, through) VALUES (@l, @t)
            ON CONFLICT (log_id) DO UPDATE SET through = excluded.through
            {(replace ? "" : "WHERE excluded.through > tlogistry_reconciled.through")}
            """);
        cmd.Parameters.AddWithValue("l", logId);
        cmd.Parameters.AddWithValue("t", through);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
