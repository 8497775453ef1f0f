using Tlogistry.Oci;
using Tlogistry.Store;

namespace Tlogistry.Tests.Store;

/// <summary>The counts and newest sightings the home page reads, on each store.</summary>
public abstract class SightingCountsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private protected abstract Task<TestStore> CreateStoreAsync();

    [Fact]
    public async Task ImagesAreCountedByRepositoryWhateverTheirNamesHoldAndTheNewestSightingsComeFirst()
    {
        await using var store = await CreateStoreAsync();
        var index = await store.OpenAsync();
        var counts = (ISightingCounts)index;
        Assert.Equal(new SightingCounts(0, 0, 0), await counts.CountAsync(Ct));
        Assert.Empty(await counts.LatestAsync(10, Ct));

        // A nested repository, a registry with a port, a name ending in tag characters: each its own image.
        string[] references =
        [
            "ghcr.io/org/app:v1", "ghcr.io/org/app:v2", "ghcr.io/org/app/sub:v1", "localhost:5000/app:1.0",
            "localhost:5000/app:1.1", "ghcr.io/org/app-1.0:v1", "index.docker.io/library/alpine:3.16.0",
        ];
        for (var i = 0; i < references.Length; i++)
        {
            await index.SaveAsync(SightingIndexTests.Fake(references[i], i), Ct);
        }

        await index.ObserveMoveAsync(Typed.Tag("ghcr.io/org/app:v1"), Typed.Digest("sha256:" + new string('a', 64)), Typed.Digest("sha256:" + new string('b', 64)), 0, MoveAnswer.Refused, DateTimeOffset.UnixEpoch, Ct);
        Assert.Equal(new SightingCounts(7, 5, 1), await counts.CountAsync(Ct));
        Assert.Equal(references[^3..].Reverse(), (await counts.LatestAsync(3, Ct)).Select(s => s.Reference.Canonical));
    }
}

public sealed class SqliteSightingCountsTests : SightingCountsTests
{
    private protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());
}

public sealed class PostgresSightingCountsTests : SightingCountsTests
{
    private protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();
}
