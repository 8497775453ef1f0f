using Tlogistry.Oci;

namespace Tlogistry.Store;

/// <summary>The shared store's held manifests (migration step 5), one row per tag.</summary>
internal sealed partial class PostgresSightingIndex
{
    /// <summary>
    /// The total is a row kept by a trigger (migration 7), read in constant time. Replicas
    /// writing at once may each see room for their row: the bound is approximate by a few manifests.
    /// </summary>
    internal const string HoldQuery = """
        INSERT INTO tlogistry_held_manifests (reference, digest, media_type, size, bytes)
        SELECT @r, @d, @mt, @n, @b
        WHERE (SELECT bytes FROM tlogistry_held_total WHERE id = 1) - coalesce((SELECT size FROM tlogistry_held_manifests WHERE reference = @r), 0) + @n <= @max
        ON CONFLICT (reference) DO UPDATE SET digest = excluded.digest, media_type = excluded.media_type, size = excluded.size, bytes = excluded.bytes, held_at = now()
        """;

    public Task<bool> HoldManifestAsync(HeldManifest manifest, long maxTotalBytes, CancellationToken cancellationToken, bool mayBeHeld = true) =>
        RetryOnceAsync(() => HoldManifestOnceAsync(manifest, maxTotalBytes, mayBeHeld, cancellationToken), cancellationToken);

    public Task<HeldManifest?> FindHeldManifestAsync(TagReference reference, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => FindHeldManifestOnceAsync(reference, cancellationToken), cancellationToken);

    private async Task<bool> HoldManifestOnceAsync(HeldManifest manifest, long maxTotalBytes, bool mayBeHeld, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);

        // Already held, byte for byte (another replica, or this one before a restart): a read, which
        // locks no row. A row whose bytes were altered is not this one, and is written over.
        if (mayBeHeld)
        {
            await using var held = _source.CreateCommand("SELECT 1 FROM tlogistry_held_manifests WHERE reference = @r AND digest = @d AND media_type = @mt AND size = @n AND bytes = @b");
            held.Parameters.AddWithValue("r", manifest.Reference.Canonical);
            held.Parameters.AddWithValue("d", manifest.Digest.ToString());
            held.Parameters.AddWithValue("mt", manifest.MediaType);
            held.Parameters.AddWithValue("n", (long)manifest.Bytes.Length);
            held.Parameters.AddWithValue("b", manifest.Bytes);
            if (await held.ExecuteScalarAsync(cancellationToken) is not null)
            {
                return true;
            }
        }

        await using var cmd = _source.CreateCommand(HoldQuery);
        cmd.Parameters.AddWithValue("r", manifest.Reference.Canonical);
        cmd.Parameters.AddWithValue("d", manifest.Digest.ToString());
        cmd.Parameters.AddWithValue("mt", manifest.MediaType);
        cmd.Parameters.AddWithValue("n", (long)manifest.Bytes.Length);
        cmd.Parameters.AddWithValue("b", manifest.Bytes);
        cmd.Parameters.AddWithValue("max", maxTotalBytes);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    private async Task<HeldManifest?> FindHeldManifestOnceAsync(TagReference reference, CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand("SELECT digest, media_type, bytes FROM tlogistry_held_manifests WHERE reference = @r");
        cmd.Parameters.AddWithValue("r", reference.Canonical);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        return await r.ReadAsync(cancellationToken) && Digest.TryParse(r.GetString(0), out var digest, out _)
            ? new HeldManifest(reference, digest, r.GetString(1), r.GetFieldValue<byte[]>(2))
            : null;
    }
}
