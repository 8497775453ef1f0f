using Microsoft.Data.Sqlite;
using Tlogistry.Oci;

namespace Tlogistry.Store;

/// <summary>The SQLite store's append intents (schema step 4), each marked pinned once its tag has a pin (step 8).</summary>
internal sealed partial class SqliteSightingIndex
{
    private const string IntentsTable = """
        CREATE TABLE append_intents (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            reference TEXT NOT NULL UNIQUE,
            intent BLOB NOT NULL);
        """;

    // Kept by triggers on the pins, so the intents left without a pin are read from a partial
    // index at start, not found by probing the pins once per intent ever stored.
    private const string IntentPinnedMarks = """
        UPDATE append_intents SET pinned = 1 WHERE EXISTS (SELECT 1 FROM sightings s WHERE s.reference = append_intents.reference);
        CREATE INDEX IF NOT EXISTS append_intents_unpinned ON append_intents (seq) WHERE pinned = 0;
        CREATE TRIGGER IF NOT EXISTS sightings_pin_intent AFTER INSERT ON sightings BEGIN UPDATE append_intents SET pinned = 1 WHERE reference = NEW.reference; END;
        CREATE TRIGGER IF NOT EXISTS sightings_unpin_intent AFTER DELETE ON sightings BEGIN UPDATE append_intents SET pinned = 0 WHERE reference = OLD.reference; END;
        """;

    /// <summary>The intents whose tag has no pin, a page at a time, from the partial index.</summary>
    internal const string UnpinnedIntentListQuery = "SELECT seq, intent FROM append_intents WHERE pinned = 0 AND seq > $after ORDER BY seq LIMIT $limit";

    public Task SaveIntentAsync(AppendIntent intent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(intent);
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT INTO append_intents (reference, intent, pinned) VALUES ($r, $i, EXISTS (SELECT 1 FROM sightings WHERE reference = $r))
            ON CONFLICT (reference) DO UPDATE SET intent = excluded.intent, pinned = excluded.pinned
            """;
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
            ? UnpinnedIntentListQuery
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
