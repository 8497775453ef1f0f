using System.Data.Common;
using System.Text;
using Tlogistry.Signing;
using Tlogistry.Store;
using Tlogistry.Tests.Support;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Store;

/// <summary>What every store promises, checked on each: the ledger relies on exactly these rules.</summary>
public abstract class SightingIndexTests : IAsyncLifetime
{
    private const string LogA = "aa";
    private TestStore? _store;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TestStore Store => _store ?? throw new InvalidOperationException("not initialized");

    public async ValueTask InitializeAsync() => _store = await CreateStoreAsync();

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_saved_sighting_reads_back_with_its_bundle_byte_for_byte()
    {
        var index = await Store.OpenAsync();
        var saved = Fake("ghcr.io/org/app:v1", 7);
        await index.SaveAsync(saved, Ct);

        var found = await (await Store.OpenAsync()).FindAsync("ghcr.io/org/app:v1", Ct);
        Assert.NotNull(found);
        Assert.Equal(
            (saved.Reference, saved.Digest, saved.MediaType, saved.ObservedAt, saved.Upstream, saved.Identity, saved.LogId, saved.LogIndex),
            (found.Reference, found.Digest, found.MediaType, found.ObservedAt, found.Upstream, found.Identity, found.LogId, found.LogIndex));
        Assert.Equal(BundleJson.Write(saved.Bundle), BundleJson.Write(found.Bundle));
        Assert.Null(await index.FindAsync("ghcr.io/org/app:v2", Ct));
    }

    [Fact]
    public async Task A_second_pin_for_a_reference_or_a_second_row_for_a_log_entry_is_refused()
    {
        var index = await Store.OpenAsync();
        await index.SaveAsync(Fake("ghcr.io/org/app:v1", 0), Ct);

        await Assert.ThrowsAnyAsync<DbException>(() => index.SaveAsync(Fake("ghcr.io/org/app:v1", 1), Ct));
        await Assert.ThrowsAnyAsync<DbException>(() => index.SaveAsync(Fake("ghcr.io/org/app:v2", 0), Ct));
        await index.SaveAsync(Fake("ghcr.io/org/app:v2", 0, logId: "bb"), Ct);
        Assert.Equal(2, await Store.CountAsync());
    }

    [Fact]
    public async Task Pages_follow_the_order_rows_were_stored_not_the_log_order()
    {
        var index = await Store.OpenAsync();
        long[] order = [4, 0, 3, 1, 2];
        foreach (var i in order)
        {
            await index.SaveAsync(Fake($"ghcr.io/org/app:{i}", i), Ct);
        }

        var read = new List<long>();
        long? after = 0;
        var pages = 0;
        while (after is long position)
        {
            var page = await index.ListAsync(position, 2, Ct);
            read.AddRange(page.Sightings.Select(s => s.LogIndex));
            after = page.Next;
            pages++;
        }

        Assert.Equal(order, read);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task A_repository_lists_its_own_tags_only_in_byte_order()
    {
        var index = await Store.OpenAsync();
        string[] references =
        [
            "ghcr.io/org/app:v2", "ghcr.io/org/apple:v1", "ghcr.io/org/app/sub:v1", "ghcr.io/org/ap:v1",
            "ghcr.io/org/app-x:v1", "ghcr.io/org/app:V9", "ghcr.io/org/app:v1", "ghcr.io/org/app:_1", "ghcr.io/org:v1",
        ];
        for (var i = 0; i < references.Length; i++)
        {
            await index.SaveAsync(Fake(references[i], i), Ct);
        }

        Assert.Equal(
            ["ghcr.io/org/app:V9", "ghcr.io/org/app:_1", "ghcr.io/org/app:v1", "ghcr.io/org/app:v2"],
            (await index.ListRepositoryAsync("ghcr.io/org/app", Ct)).Select(s => s.Reference));
        Assert.Equal(["ghcr.io/org/app/sub:v1"], (await index.ListRepositoryAsync("ghcr.io/org/app/sub", Ct)).Select(s => s.Reference));
        Assert.Empty(await index.ListRepositoryAsync("ghcr.io/org/none", Ct));
    }

    [Fact]
    public async Task Reconciliation_resumes_at_the_first_log_index_the_store_lacks()
    {
        var index = await Store.OpenAsync();
        Assert.Equal(0, await index.FirstUnindexedAsync(LogA, Ct));
        foreach (var i in new long[] { 0, 1, 3 })
        {
            await index.SaveAsync(Fake($"ghcr.io/org/app:{i}", i), Ct);
        }

        await index.SaveAsync(Fake("ghcr.io/org/other:0", 2, logId: "bb"), Ct);
        Assert.Equal(2, await index.FirstUnindexedAsync(LogA, Ct));
        Assert.Equal(0, await index.FirstUnindexedAsync("bb", Ct));
    }

    [Fact]
    public async Task The_readiness_check_fails_once_the_store_is_down()
    {
        var index = await Store.OpenAsync();
        await index.CheckAsync(Ct);
        await Store.BreakAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => index.CheckAsync(Ct));
    }

    [Fact]
    public async Task A_store_written_by_a_newer_tlogistry_is_refused_at_start()
    {
        await (await Store.OpenAsync()).SaveAsync(Fake("ghcr.io/org/app:v1", 0), Ct);
        await Store.ClaimSchemaVersionAsync(99);

        var refused = await Assert.ThrowsAsync<InvalidDataException>(Store.OpenAsync);
        Assert.Contains("schema version 99", refused.Message, StringComparison.Ordinal);
    }

    private protected abstract Task<TestStore> CreateStoreAsync();

    /// <summary>A sighting as the store sees it; nothing here is verified, so nothing needs to be real.</summary>
    internal static Sighting Fake(string reference, long logIndex, string logId = LogA)
    {
        var envelope = new DsseEnvelope(Dsse.InTotoPayloadType, Encoding.UTF8.GetBytes("{\"tag\":\"" + reference + "\"}"), [new DsseSignature("", [1, 2, 3])]);
        var entry = new TlogEntry(logIndex, Convert.FromHexString(logId), "tlogistry/sighting", "0.0.1", 1_700_000_000 + logIndex, null, null, Encoding.UTF8.GetBytes("leaf " + reference));
        var bundle = new SigstoreBundle(VerificationMaterial.ForKey("hint"), entry, envelope, null);
        return new Sighting(reference, "sha256:" + new string('a', 64), "application/vnd.oci.image.manifest.v1+json", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + logIndex), "http://upstream.test/v2/org/app/manifests/v1", "key:sha256:ab", bundle);
    }
}

public sealed class SqliteSightingIndexTests : SightingIndexTests
{
    private protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());
}

public sealed class PostgresSightingIndexTests : SightingIndexTests
{
    private protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();
}
