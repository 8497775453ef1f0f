using Microsoft.Data.Sqlite;
using Tlogistry.Oci;

namespace Tlogistry.Store;

/// <summary>The SQLite store's append intents (schema step 4).</summary>
internal sealed partial class SqliteSightingIndex
{
    private const string IntentsTable = """
        CREATE TABLE append_intents (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            reference TEXT NOT NULL UNIQUE,
            intent BLOB NOT NULL);
        """;

    public Task SaveIntentAsync(AppendIntent intent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(intent);
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO append_intents (reference, intent) VALUES ($r, $i) ON CONFLICT (reference) DO UPDATE SET intent = excluded.intent";
        cmd.Parameters.AddWithValue("$r", intent.Reference.Canonical);
        cmd.Parameters.AddWithValue("$i", intent.ToJson());
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task ForgetIntentAsync(TagReference reference, CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM append_intents WHERE reference = $r";
        cmd.Parameters.AddWithValue("$r", reference.Canonical);
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<AppendIntent?> FindIntentAsync(TagReference reference, CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT intent FROM append_intents WHERE reference = $r";
        cmd.Parameters.AddWithValue("$r", reference.Canonical);
        using var r = cmd.ExecuteReader();
        return Task.FromResult(r.Read() ? AppendIntent.Parse(r.GetFieldValue<byte[]>(0)) : null);
    }

    /// <summary>A page of the stored intents: a range of the primary key, in its order, limited.</summary>
    internal const string IntentListQuery = "SELECT seq, intent FROM append_intents WHERE seq > $after ORDER BY seq LIMIT $limit";

    public Task<IntentPage> ListIntentsAsync(long after, int limit, bool unpinnedOnly, CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = unpinnedOnly
            ? "SELECT i.seq, i.intent FROM append_intents i WHERE i.seq > $after AND NOT EXISTS (SELECT 1 FROM sightings s WHERE s.reference = i.reference) ORDER BY i.seq LIMIT $limit"
            : IntentListQuery;
        cmd.Parameters.AddWithValue("$after", after);
        cmd.Parameters.AddWithValue("$limit", (long)limit + 1);
        using var r = cmd.ExecuteReader();
        return Task.FromResult(ReadIntents(r, limit));
    }

    private static IntentPage ReadIntents(SqliteDataReader r, int limit)
    {
        var page = new List<AppendIntent>();
        long last = 0;
        while (r.Read())
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
