using Tlogistry.Oci;

namespace Tlogistry.Store;

/// <summary>The SQLite store's held manifests (schema step 5).</summary>
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

    public Task<bool> HoldManifestAsync(HeldManifest manifest, long maxTotalBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var c = Open();
        using var cmd = c.CreateCommand();
        // One statement, so the bound is checked against what is held when the row is written.
        cmd.CommandText = """
            INSERT INTO held_manifests (reference, digest, media_type, size, bytes)
            SELECT $r, $d, $mt, $n, $b WHERE (SELECT coalesce(sum(size), 0) FROM held_manifests WHERE reference <> $r) + $n <= $max
            ON CONFLICT (reference) DO UPDATE SET digest = excluded.digest, media_type = excluded.media_type, size = excluded.size, bytes = excluded.bytes
            """;
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
