using Tlogistry.Oci;

namespace Tlogistry.Store;

/// <summary>The SQLite store's held manifests (schema step 5) and their running total (step 7).</summary>
internal sealed partial class SqliteSightingIndex
{
    private const string HeldTable = """
        CREATE TABLE IF NOT EXISTS held_manifests (
            reference TEXT PRIMARY KEY,
            digest TEXT NOT NULL,
            media_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            bytes BLOB NOT NULL);
        """;

    // The bytes held, kept by triggers, so the bound is checked in constant time, not by summing every row.
    private const string HeldTotal = """
        CREATE TABLE IF NOT EXISTS held_total (id INTEGER PRIMARY KEY CHECK (id = 1), bytes INTEGER NOT NULL);
        INSERT OR REPLACE INTO held_total (id, bytes) SELECT 1, coalesce(sum(size), 0) FROM held_manifests;
        CREATE TRIGGER IF NOT EXISTS held_total_insert AFTER INSERT ON held_manifests BEGIN UPDATE held_total SET bytes = bytes + NEW.size WHERE id = 1; END;
        CREATE TRIGGER IF NOT EXISTS held_total_update AFTER UPDATE OF size ON held_manifests BEGIN UPDATE held_total SET bytes = bytes - OLD.size + NEW.size WHERE id = 1; END;
        CREATE TRIGGER IF NOT EXISTS held_total_delete AFTER DELETE ON held_manifests BEGIN UPDATE held_total SET bytes = bytes - OLD.size WHERE id = 1; END;
        """;

    /// <summary>
    /// One statement, so the bound is checked against what is held when the row is written; the
    /// total comes from <c>held_total</c>, so the cost does not grow with the rows held.
    /// </summary>
    internal const string HoldQuery = """
        INSERT INTO held_manifests (reference, digest, media_type, size, bytes)
        SELECT $r, $d, $mt, $n, $b
        WHERE (SELECT bytes FROM held_total WHERE id = 1) - coalesce((SELECT size FROM held_manifests WHERE reference = $r), 0) + $n <= $max
        ON CONFLICT (reference) DO UPDATE SET digest = excluded.digest, media_type = excluded.media_type, size = excluded.size, bytes = excluded.bytes
        """;

    public Task<bool> HoldManifestAsync(HeldManifest manifest, long maxTotalBytes, CancellationToken cancellationToken, bool mayBeHeld = true)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var c = Open();

        // Already held, byte for byte (another process, or this one before a restart): a read, which
        // takes no write lock. A row whose bytes were altered is not this one, and is written over.
        if (mayBeHeld)
        {
            using var held = c.CreateCommand();
            held.CommandText = "SELECT 1 FROM held_manifests WHERE reference = $r AND digest = $d AND media_type = $mt AND size = $n AND bytes = $b";
            held.Parameters.AddWithValue("$r", manifest.Reference.Canonical);
            held.Parameters.AddWithValue("$d", manifest.Digest.ToString());
            held.Parameters.AddWithValue("$mt", manifest.MediaType);
            held.Parameters.AddWithValue("$n", (long)manifest.Bytes.Length);
            held.Parameters.AddWithValue("$b", manifest.Bytes);
            if (held.ExecuteScalar() is not null)
            {
                return Task.FromResult(true);
            }
        }

        using var cmd = c.CreateCommand();
        cmd.CommandText = HoldQuery;
        cmd.Parameters.AddWithValue("$r", manifest.Reference.Canonical);
        cmd.Parameters.AddWithValue("$d", manifest.Digest.ToString());
        cmd.Parameters.AddWithValue("$mt", manifest.MediaType);
        cmd.Parameters.AddWithValue("$n", (long)manifest.Bytes.Length);
        cmd.Parameters.AddWithValue("$b", manifest.Bytes);
        cmd.Parameters.AddWithValue("$max", maxTotalBytes);
        return Task.FromResult(cmd.ExecuteNonQuery() > 0);
    }

    public Task<HeldManifest?> FindHeldManifestAsync(TagReference reference, CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT digest, media_type, bytes FROM held_manifests WHERE reference = $r";
        cmd.Parameters.AddWithValue("$r", reference.Canonical);
        using var r = cmd.ExecuteReader();
        return Task.FromResult(r.Read() && Digest.TryParse(r.GetString(0), out var digest, out _)
            ? new HeldManifest(reference, digest, r.GetString(1), r.GetFieldValue<byte[]>(2))
            : null);
    }
}
