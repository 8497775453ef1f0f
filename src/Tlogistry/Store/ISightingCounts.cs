namespace Tlogistry.Store;

/// <summary>
/// What the home page says about a store: how many sightings and images it holds, and its
/// newest first sightings. The counts read every row, so their caller keeps them a while
/// (<c>Web.SiteCounts</c>); the newest sightings read a page of the primary key backwards.
/// </summary>
internal interface ISightingCounts
{
    /// <summary>Counts every sighting, every image (repository) with one, and the moves recorded: scans of the reference index and of the (bounded) record of moves.</summary>
    Task<SightingCounts> CountAsync(CancellationToken cancellationToken);

    /// <summary>The last <paramref name="limit"/> sightings stored, newest first.</summary>
    Task<IReadOnlyList<Sighting>> LatestAsync(int limit, CancellationToken cancellationToken);
}

/// <summary>How many sightings a store holds, of how many images (repositories), and how many moves it records.</summary>
internal sealed record SightingCounts(long Sightings, long Images, long Moves)
{
    /// <summary>
    /// The characters a tag may hold: stripped from the right of a canonical reference
    /// (<c>HOST/REPO:TAG</c>) they leave <c>HOST/REPO:</c>, since ':' is not among them, so
    /// the store counts images without parsing references.
    /// </summary>
    public const string TagCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
}
