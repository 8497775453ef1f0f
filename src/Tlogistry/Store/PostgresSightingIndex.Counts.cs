namespace Tlogistry.Store;

/// <summary>The shared store's counts and newest sightings, for the home page.</summary>
internal sealed partial class PostgresSightingIndex : ISightingCounts
{
    public Task<SightingCounts> CountAsync(CancellationToken cancellationToken) =>
        RetryOnceAsync(() => CountOnceAsync(cancellationToken), cancellationToken);

    public Task<IReadOnlyList<Sighting>> LatestAsync(int limit, CancellationToken cancellationToken) =>
        RetryOnceAsync(() => LatestOnceAsync(limit, cancellationToken), cancellationToken);

    private async Task<SightingCounts> CountOnceAsync(CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand("SELECT count(*), count(DISTINCT rtrim(reference, @t)), (SELECT count(*) FROM tlogistry_tag_moves) FROM tlogistry_sightings");
        cmd.Parameters.AddWithValue("t", SightingCounts.TagCharacters);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        await r.ReadAsync(cancellationToken);
        return new SightingCounts(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
    }

    private async Task<IReadOnlyList<Sighting>> LatestOnceAsync(int limit, CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand($"SELECT {Columns} FROM tlogistry_sightings ORDER BY seq DESC LIMIT @limit");
        cmd.Parameters.AddWithValue("limit", (long)limit);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var found = new List<Sighting>();
        while (await r.ReadAsync(cancellationToken))
        {
            found.Add(Read(r));
        }

        return found;
    }
}
