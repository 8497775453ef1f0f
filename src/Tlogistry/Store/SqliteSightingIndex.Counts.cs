namespace Tlogistry.Store;

/// <summary>The SQLite store's counts and newest sightings, for the home page.</summary>
internal sealed partial class SqliteSightingIndex : ISightingCounts
{
    public Task<SightingCounts> CountAsync(CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*), count(DISTINCT rtrim(reference, $t)), (SELECT count(*) FROM tag_moves) FROM sightings";
        cmd.Parameters.AddWithValue("$t", SightingCounts.TagCharacters);
        using var r = cmd.ExecuteReader();
        r.Read();
        return Task.FromResult(new SightingCounts(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)));
    }

    public async Task<IReadOnlyList<Sighting>> LatestAsync(int limit, CancellationToken cancellationToken)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM sightings ORDER BY seq DESC LIMIT $limit";
        cmd.Parameters.AddWithValue("$limit", limit);
        using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        var found = new List<Sighting>();
        while (await r.ReadAsync(cancellationToken))
        {
            found.Add(Read(r));
        }

        return found;
    }
}
