using Tlogistry.Oci;

namespace Tlogistry.Store;

/// <summary>The shared store's append intents (migration step 4), one row per tag.</summary>
internal sealed partial class PostgresSightingIndex
{
    // Each operation is retried once on a connection a server restart ended (RetryOnceAsync).
    public Task SaveIntentAsync(AppendIntent intent, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => SaveIntentOnceAsync(intent, cancellationToken), cancellationToken);

    public Task ForgetIntentAsync(TagReference reference, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => ForgetIntentOnceAsync(reference, cancellationToken), cancellationToken);

    public Task<AppendIntent?> FindIntentAsync(TagReference reference, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => FindIntentOnceAsync(reference, cancellationToken), cancellationToken);

    public Task<IntentPage> ListIntentsAsync(long after, int limit, bool unpinnedOnly, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => ListIntentsOnceAsync(after, limit, unpinnedOnly, cancellationToken), cancellationToken);

    private async Task SaveIntentOnceAsync(AppendIntent intent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(intent);
        await using var cmd = _source.CreateCommand("""
            INSERT INTO tlogistry_intents (reference, intent, pinned) VALUES (@r, @i, EXISTS (SELECT 1 FROM tlogistry_sightings WHERE reference = @r))
            ON CONFLICT (reference) DO UPDATE SET intent = excluded.intent, pinned = excluded.pinned, stored_at = now()
            """);
        cmd.Parameters.AddWithValue("r", intent.Reference.Canonical);
        cmd.Parameters.AddWithValue("i", intent.ToJson());
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task ForgetIntentOnceAsync(TagReference reference, CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand("DELETE FROM tlogistry_intents WHERE reference = @r");
        cmd.Parameters.AddWithValue("r", reference.Canonical);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<AppendIntent?> FindIntentOnceAsync(TagReference reference, CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand("SELECT intent FROM tlogistry_intents WHERE reference = @r");
        cmd.Parameters.AddWithValue("r", reference.Canonical);
        return await cmd.ExecuteScalarAsync(cancellationToken) is byte[] json ? AppendIntent.Parse(json) : null;
    }

    /// <summary>A page of the stored intents: a range of the primary key, in its order, limited.</summary>
    internal const string IntentListQuery = "SELECT seq, intent FROM tlogistry_intents WHERE seq > @after ORDER BY seq LIMIT @limit";

    /// <summary>The intents whose tag has no pin, a page at a time, from the partial index (migration 8).</summary>
    internal const string UnpinnedIntentListQuery = "SELECT seq, intent FROM tlogistry_intents WHERE NOT pinned AND seq > @after ORDER BY seq LIMIT @limit";

    private async Task<IntentPage> ListIntentsOnceAsync(long after, int limit, bool unpinnedOnly, CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand(unpinnedOnly
            ? UnpinnedIntentListQuery
            : IntentListQuery);
        cmd.Parameters.AddWithValue("after", after);
        cmd.Parameters.AddWithValue("limit", (long)limit + 1);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var page = new List<AppendIntent>();
        long last = 0;
        while (await r.ReadAsync(cancellationToken))
        {
            if (page.Count == limit)
            {
                return new IntentPage(page, last);
            }

            last = r.GetInt64(0);
            page.Add(AppendIntent.Parse(r.GetFieldValue<byte[]>(1)));
        }

        return new IntentPage(page, null);
    }
}
