using System.Data.Common;
using System.Text;
using Tlogistry.Store;
using Tlogistry.Tests.Support.Data;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Store;

/// <summary>What every store promises, checked on each: the ledger relies on exactly these rules.</summary>
public abstract class SightingIndexTests : IAsyncLifetime
{
    private protected const string LogA = "aa";
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
    public async Task ARowIsSealedOverTheContentAReadFindsAndItsStampIsKeptUntilTheRowIsReplaced()
    {
        var index = await Store.OpenAsync();

        // A time finer than either store keeps (SQLite whole seconds, PostgreSQL microseconds).
        var saved = Fake("ghcr.io/org/app:s1", 3) with { ObservedAt = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.FromHours(2)).AddTicks(1_234_567) };
        byte[]? sealedContent = null;
        await index.SaveAsync(saved, Ct, content => { sealedContent = content; return [7, 7, 7]; });
        var stored = (await (await Store.OpenAsync()).FindStoredAsync(saved.Reference, Ct))!;
        Assert.Equal(sealedContent, stored.ContentHash);
        Assert.Equal([7, 7, 7], stored.Stamp);

        // Saved without a seal: no stamp. Stamped later in a batch, one tag not stored at all.
        await index.SaveAsync(Fake("ghcr.io/org/app:s2", 4), Ct);
        Assert.Null((await index.FindStoredAsync(Typed.Tag("ghcr.io/org/app:s2"), Ct))!.Stamp);
        await index.StampAsync([(Typed.Tag("ghcr.io/org/app:s2"), [1]), (Typed.Tag("ghcr.io/org/app:none"), [2]), (saved.Reference, [3])], Ct);
        Assert.Equal([1], (await index.FindStoredAsync(Typed.Tag("ghcr.io/org/app:s2"), Ct))!.Stamp);
        Assert.Equal([3], (await index.FindStoredAsync(saved.Reference, Ct))!.Stamp);
        Assert.Null(await index.FindStoredAsync(Typed.Tag("ghcr.io/org/app:none"), Ct));

        // A replaced pin is another row: its stamp goes with the old one.
        await index.ReplaceAsync(Fake("ghcr.io/org/app:s2", 4), Fake("ghcr.io/org/app:s2", 1), Ct);
        Assert.Null((await index.FindStoredAsync(Typed.Tag("ghcr.io/org/app:s2"), Ct))!.Stamp);

        await index.ClearStampsAsync(Ct);
        Assert.Null((await index.FindStoredAsync(saved.Reference, Ct))!.Stamp);
    }

    [Fact]
    public async Task ASavedSightingReadsBackWithItsBundleByteForByte()
    {
        var index = await Store.OpenAsync();
        var saved = Fake("ghcr.io/org/app:v1", 7);
        await index.SaveAsync(saved, Ct);

        var found = await (await Store.OpenAsync()).FindAsync(Typed.Tag("ghcr.io/org/app:v1"), Ct);
        Assert.NotNull(found);
        Assert.Equal(
            (saved.Reference, saved.Digest, saved.MediaType, saved.ObservedAt, saved.Upstream, saved.Identity, saved.LogId, saved.LogIndex),
            (found.Reference, found.Digest, found.MediaType, found.ObservedAt, found.Upstream, found.Identity, found.LogId, found.LogIndex));
        Assert.Equal(BundleJson.Write(saved.Bundle), BundleJson.Write(found.Bundle));
        Assert.Null(await index.FindAsync(Typed.Tag("ghcr.io/org/app:v2"), Ct));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AHeldManifestReadsBackAfterReopenAndIsReplacedForItsTag(bool mayBeHeld)
    {
        var index = await Store.OpenAsync();
        var tag = Typed.Tag("ghcr.io/org/app:v1");
        var first = Held(tag, "one");
        Assert.True(await index.HoldManifestAsync(first, 1 << 20, Ct, mayBeHeld));

        var reopened = await Store.OpenAsync();
        var found = await reopened.FindHeldManifestAsync(tag, Ct);
        Assert.NotNull(found);
        Assert.Equal((first.Digest, first.MediaType), (found.Digest, found.MediaType));
        Assert.Equal(first.Bytes, found.Bytes);
        Assert.Null(await reopened.FindHeldManifestAsync(Typed.Tag("ghcr.io/org/app:v2"), Ct));

        var second = Held(tag, "two");
        Assert.True(await reopened.HoldManifestAsync(second, 1 << 20, Ct, mayBeHeld));
        Assert.Equal(second.Bytes, (await index.FindHeldManifestAsync(tag, Ct))!.Bytes);
    }

    /// <param name="mayBeHeld">False, as for a first sighting: written without first reading for an identical row, to the same rows and bound.</param>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AManifestThatWouldPassTheBoundIsNotHeldAndWhatIsHeldStays(bool mayBeHeld)
    {
        var index = await Store.OpenAsync();
        var a = Held(Typed.Tag("ghcr.io/org/app:a"), "a");
        var b = Held(Typed.Tag("ghcr.io/org/app:b"), "b");
        var bound = a.Bytes.Length + b.Bytes.Length - 1;

        Assert.True(await index.HoldManifestAsync(a, bound, Ct, mayBeHeld));
        Assert.False(await index.HoldManifestAsync(b, bound, Ct, mayBeHeld));
        Assert.Null(await index.FindHeldManifestAsync(b.Reference, Ct));
        Assert.Equal(a.Bytes, (await index.FindHeldManifestAsync(a.Reference, Ct))!.Bytes);

        // A tag's own row does not count against its replacement.
        Assert.True(await index.HoldManifestAsync(Held(a.Reference, "A"), bound, Ct, mayBeHeld));
        Assert.False(await index.HoldManifestAsync(a, 0, Ct, mayBeHeld));
    }

    [Fact]
    public async Task AHeldRowWhoseBytesWereAlteredIsWrittenOverNotTakenForHeld()
    {
        var index = await Store.OpenAsync();
        var a = Held(Typed.Tag("ghcr.io/org/app:a"), "a");
        Assert.True(await index.HoldManifestAsync(a, 1 << 20, Ct));
        await Store.AlterHeldBytesAsync();
        Assert.NotEqual(a.Bytes, (await index.FindHeldManifestAsync(a.Reference, Ct))!.Bytes);

        // Same tag, digest, type and size: only the bytes tell the altered row from the manifest.
        Assert.True(await index.HoldManifestAsync(a, 1 << 20, Ct));
        Assert.Equal(a.Bytes, (await index.FindHeldManifestAsync(a.Reference, Ct))!.Bytes);
    }

    [Fact]
    public async Task TheBoundFollowsReplacementsOfEverySizeAcrossManyTags()
    {
        var index = await Store.OpenAsync();
        var tags = Enumerable.Range(0, 20).Select(i => Typed.Tag($"ghcr.io/org/app:t{i}")).ToList();
        var small = tags.Select(t => Held(t, "s")).ToList();
        var large = tags.Select(t => Held(t, new string('L', 400))).ToList();
        long Sum(IEnumerable<HeldManifest> held) => held.Sum(h => (long)h.Bytes.Length);

        // Room for exactly the 20 small ones and one large in place of a small one.
        var bound = Sum(small) + large[0].Bytes.Length - small[0].Bytes.Length;
        foreach (var h in small)
        {
            Assert.True(await index.HoldManifestAsync(h, bound, Ct));
        }

        Assert.True(await index.HoldManifestAsync(large[0], bound, Ct));
        Assert.False(await index.HoldManifestAsync(large[1], bound, Ct));

        // Shrinking the first gives its room back; the second now fits in it.
        Assert.True(await index.HoldManifestAsync(small[0], bound, Ct));
        Assert.True(await index.HoldManifestAsync(large[1], bound, Ct));
        Assert.False(await index.HoldManifestAsync(large[2], bound, Ct));

        // A manifest already held is held again at no cost, even past a bound since lowered.
        Assert.True(await index.HoldManifestAsync(large[1], 0, Ct));
    }

    [Fact]
    public async Task ASecondPinForAReferenceOrASecondRowForALogEntryIsRefused()
    {
        var index = await Store.OpenAsync();
        await index.SaveAsync(Fake("ghcr.io/org/app:v1", 0), Ct);

        await Assert.ThrowsAnyAsync<DbException>(() => index.SaveAsync(Fake("ghcr.io/org/app:v1", 1), Ct));
        await Assert.ThrowsAnyAsync<DbException>(() => index.SaveAsync(Fake("ghcr.io/org/app:v2", 0), Ct));
        await index.SaveAsync(Fake("ghcr.io/org/app:v2", 0, logId: "bb"), Ct);
        Assert.Equal(2, await Store.CountAsync());
    }

    [Fact]
    public async Task PagesFollowTheOrderRowsWereStoredNotTheLogOrder()
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
    public async Task ARepositoryPagesByKeysetInByteOrderAndPastItsEndIsEmpty()
    {
        var index = await Store.OpenAsync();
        string[] tags = ["v1", "V9", "_1", "v2", "a", "b", "z", "0"];
        for (var i = 0; i < tags.Length; i++)
        {
            await index.SaveAsync(Fake("ghcr.io/org/app:" + tags[i], i), Ct);
        }

        // Neighbours that sort next to the repository's range never leak into its pages.
        await index.SaveAsync(Fake("ghcr.io/org/app-x:a", 100), Ct);
        await index.SaveAsync(Fake("ghcr.io/org/app/sub:a", 101), Ct);
        var image = Typed.Image("ghcr.io/org/app");
        var read = new List<string>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = await index.ListRepositoryPageAsync(image, after, 3, Ct);
            Assert.InRange(page.Sightings.Count, 1, 3);
            read.AddRange(page.Sightings.Select(s => s.Reference.Tag));
            after = page.NextAfter;
            pages++;
        }
        while (after is not null);

        Assert.Equal(tags.Order(StringComparer.Ordinal), read);
        Assert.Equal(3, pages);
        Assert.Equal(tags.Length, await index.CountRepositoryAsync(image, Ct));

        // A cursor past the last tag, or one that names no tag held, continues in byte order.
        Assert.Empty((await index.ListRepositoryPageAsync(image, "zzz", 3, Ct)).Sightings);
        Assert.Null((await index.ListRepositoryPageAsync(image, "zzz", 3, Ct)).NextAfter);
        Assert.Equal(["v1", "v2", "z"], (await index.ListRepositoryPageAsync(image, "c", 3, Ct)).Sightings.Select(s => s.Reference.Tag));
        Assert.Empty((await index.ListRepositoryPageAsync(Typed.Image("ghcr.io/org/none"), null, 3, Ct)).Sightings);
        Assert.Equal(0, await index.CountRepositoryAsync(Typed.Image("ghcr.io/org/none"), Ct));
    }

    [Fact]
    public async Task ARepositoryListsItsOwnTagsOnlyInByteOrder()
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
            (await index.ListRepositoryAsync(Typed.Image("ghcr.io/org/app"), Ct)).Select(s => s.Reference.Canonical));
        Assert.Equal(["ghcr.io/org/app/sub:v1"], (await index.ListRepositoryAsync(Typed.Image("ghcr.io/org/app/sub"), Ct)).Select(s => s.Reference.Canonical));
        Assert.Empty(await index.ListRepositoryAsync(Typed.Image("ghcr.io/org/none"), Ct));
    }

    [Fact]
    public async Task ReconciliationResumesAtTheFirstLogIndexTheStoreLacks()
    {
        var index = await Store.OpenAsync();
        Assert.Equal(0, await index.FirstUnindexedAsync(LogA, 0, Ct));
        foreach (var i in new long[] { 0, 1, 3 })
        {
            await index.SaveAsync(Fake($"ghcr.io/org/app:{i}", i), Ct);
        }

        await index.SaveAsync(Fake("ghcr.io/org/other:0", 2, logId: "bb"), Ct);
        Assert.Equal(2, await index.FirstUnindexedAsync(LogA, 0, Ct));
        Assert.Equal(0, await index.FirstUnindexedAsync("bb", 0, Ct));

        // The gap filled: no gap left, the next index (the count agrees with the highest index).
        await index.SaveAsync(Fake("ghcr.io/org/app:2", 2), Ct);
        Assert.Equal(4, await index.FirstUnindexedAsync(LogA, 0, Ct));

        // As many rows as a gapless run would have, yet with a gap (0, 1, 2, 4 after 3 is lost): not taken for gapless.
        Assert.Equal(1, await Store.DeleteAsync("ghcr.io/org/app:3"));
        await index.SaveAsync(Fake("ghcr.io/org/app:4", 4), Ct);
        Assert.Equal(3, await index.FirstUnindexedAsync(LogA, 0, Ct));

        // From a mark only the rows from there count: below it a gap is not looked for.
        await Store.DeleteAsync("ghcr.io/org/app:0");
        Assert.Equal(0, await index.FirstUnindexedAsync(LogA, 0, Ct));
        Assert.Equal(3, await index.FirstUnindexedAsync(LogA, 1, Ct));
        Assert.Equal(3, await index.FirstUnindexedAsync(LogA, 3, Ct));
        Assert.Equal(5, await index.FirstUnindexedAsync(LogA, 4, Ct));
        Assert.Equal(9, await index.FirstUnindexedAsync(LogA, 9, Ct));
        Assert.Equal(7, await index.FirstUnindexedAsync("bb", 7, Ct));
    }

    [Fact]
    public async Task EachLogsReconciledMarkOnlyRisesUnlessReplacedAndOutlivesTheProcess()
    {
        var index = await Store.OpenAsync();
        Assert.Equal(0, await index.ReconciledThroughAsync(LogA, Ct));
        await index.MarkReconciledAsync(LogA, 10, replace: false, Ct);
        await index.MarkReconciledAsync(LogA, 7, replace: false, Ct);
        await index.MarkReconciledAsync("bb", 3, replace: false, Ct);
        Assert.Equal(10, await index.ReconciledThroughAsync(LogA, Ct));
        Assert.Equal(3, await index.ReconciledThroughAsync("bb", Ct));

        await index.MarkReconciledAsync(LogA, 4, replace: true, Ct);
        Assert.Equal(4, await (await Store.OpenAsync()).ReconciledThroughAsync(LogA, Ct));
    }

    [Fact]
    public async Task TheReadinessCheckFailsOnceTheStoreIsDown()
    {
        var index = await Store.OpenAsync();
        await index.CheckAsync(Ct);
        await Store.BreakAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => index.CheckAsync(Ct));
    }

    [Fact]
    public async Task AStoreWrittenByANewerTlogistryIsRefusedAtStart()
    {
        await (await Store.OpenAsync()).SaveAsync(Fake("ghcr.io/org/app:v1", 0), Ct);
        await Store.ClaimSchemaVersionAsync(99);

        var refused = await Assert.ThrowsAsync<InvalidDataException>(Store.OpenAsync);
        Assert.Contains("schema version 99", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheRememberedCheckpointOnlyGrowsUnlessAnAcceptedRollbackReplacesIt()
    {
        var index = await Store.OpenAsync();
        Assert.Null(await index.RememberedCheckpointAsync("log.test/a", Ct));
        await index.RememberCheckpointAsync(Remembered(5, 1), replace: false, Ct);
        await index.RememberCheckpointAsync(Remembered(3, 2), replace: false, Ct);
        await index.RememberCheckpointAsync(Remembered(5, 3), replace: false, Ct);
        var kept = await (await Store.OpenAsync()).RememberedCheckpointAsync("log.test/a", Ct);
        Assert.Equal((5L, (byte)1, "note 5"), (kept!.Size, kept.RootHash[0], kept.Note));

        await index.RememberCheckpointAsync(Remembered(9, 4), replace: false, Ct);
        Assert.Equal(9, (await index.RememberedCheckpointAsync("log.test/a", Ct))!.Size);
        await index.RememberCheckpointAsync(Remembered(0, 5), replace: true, Ct);
        Assert.Equal(0, (await index.RememberedCheckpointAsync("log.test/a", Ct))!.Size);
        Assert.Null(await index.RememberedCheckpointAsync("log.test/b", Ct));
    }

    [Fact]
    public async Task AReplacedPinKeepsItsPlaceAndAStaleReplaceOrAForgottenRowChangesOnlyItsOwn()
    {
        var index = await Store.OpenAsync();
        var later = Fake("ghcr.io/org/app:v1", 5);
        await index.SaveAsync(Fake("ghcr.io/org/app:v0", 1), Ct);
        await index.SaveAsync(later, Ct);
        await index.SaveAsync(Fake("ghcr.io/org/app:v2", 6), Ct);

        await index.ReplaceAsync(later, Fake("ghcr.io/org/app:v1", 2), Ct);
        Assert.Equal(2, (await index.FindAsync(Typed.Tag("ghcr.io/org/app:v1"), Ct))!.LogIndex);
        Assert.Equal([1L, 2, 6], (await index.ListAsync(0, 10, Ct)).Sightings.Select(s => s.LogIndex));

        // Replacing a row the store no longer holds as it was changes nothing.
        await index.ReplaceAsync(later, Fake("ghcr.io/org/app:v1", 3), Ct);
        Assert.Equal(2, (await index.FindAsync(Typed.Tag("ghcr.io/org/app:v1"), Ct))!.LogIndex);

        await index.ForgetAsync(Fake("ghcr.io/org/app:v2", 6), Ct);
        Assert.Null(await index.FindAsync(Typed.Tag("ghcr.io/org/app:v2"), Ct));
        Assert.Equal(2, await Store.CountAsync());
    }

    [Fact]
    public async Task IntentsReadBackByteForByteOnePerTagInStoredOrderAndUnpinnedOnesApart()
    {
        var index = await Store.OpenAsync();
        var a = Intent("ghcr.io/org/app:a", 1);
        await index.SaveIntentAsync(a, Ct);
        await index.SaveIntentAsync(Intent("ghcr.io/org/app:b", 2, certificate: [9, 9]), Ct);
        await index.SaveIntentAsync(Intent("ghcr.io/org/app:c", 3), Ct);
        await index.SaveAsync(Fake("ghcr.io/org/app:b", 0), Ct);

        var again = await (await Store.OpenAsync()).FindIntentAsync(Typed.Tag("ghcr.io/org/app:a"), Ct);
        Assert.Equal(a.ToJson(), again!.ToJson());
        Assert.Null(await index.FindIntentAsync(Typed.Tag("ghcr.io/org/app:z"), Ct));

        var first = await index.ListIntentsAsync(0, 2, unpinnedOnly: false, Ct);
        Assert.Equal(["ghcr.io/org/app:a", "ghcr.io/org/app:b"], first.Intents.Select(i => i.Reference.Canonical));
        Assert.Equal([9, 9], first.Intents[1].Signer.Certificates[0]);
        var rest = await index.ListIntentsAsync(first.Next!.Value, 2, unpinnedOnly: false, Ct);
        Assert.Equal(["ghcr.io/org/app:c"], rest.Intents.Select(i => i.Reference.Canonical));
        Assert.Null(rest.Next);
        Assert.Equal(["ghcr.io/org/app:a", "ghcr.io/org/app:c"], (await index.ListIntentsAsync(0, 10, unpinnedOnly: true, Ct)).Intents.Select(i => i.Reference.Canonical));

        // A second intent for a tag takes the first one's place (and its position).
        await index.SaveIntentAsync(Intent("ghcr.io/org/app:a", 4), Ct);
        var replaced = await index.ListIntentsAsync(0, 10, unpinnedOnly: false, Ct);
        Assert.Equal(["ghcr.io/org/app:a", "ghcr.io/org/app:b", "ghcr.io/org/app:c"], replaced.Intents.Select(i => i.Reference.Canonical));
        Assert.Equal([4], replaced.Intents[0].Envelope.Signatures[0].Signature);
    }

    [Fact]
    public async Task AnIntentIsUnpinnedExactlyWhileItsTagHasNoPin()
    {
        var index = await Store.OpenAsync();
        async Task<string[]> Unpinned() => [.. (await index.ListIntentsAsync(0, 100, unpinnedOnly: true, Ct)).Intents.Select(i => i.Reference.Canonical)];
        await index.SaveIntentAsync(Intent("ghcr.io/org/app:a", 1), Ct);
        await index.SaveIntentAsync(Intent("ghcr.io/org/app:b", 2), Ct);
        Assert.Equal(["ghcr.io/org/app:a", "ghcr.io/org/app:b"], await Unpinned());

        // Pinned: no longer listed. The pin deleted (a state edit, accept-log): listed again.
        await index.SaveAsync(Fake("ghcr.io/org/app:a", 0), Ct);
        Assert.Equal(["ghcr.io/org/app:b"], await Unpinned());
        Assert.Equal(1, await Store.DeleteAsync("ghcr.io/org/app:a"));
        Assert.Equal(["ghcr.io/org/app:a", "ghcr.io/org/app:b"], await Unpinned());

        // An intent stored for a tag that has a pin already starts pinned.
        await index.SaveAsync(Fake("ghcr.io/org/app:c", 1), Ct);
        await index.SaveIntentAsync(Intent("ghcr.io/org/app:c", 3), Ct);
        Assert.Equal(["ghcr.io/org/app:a", "ghcr.io/org/app:b"], await Unpinned());

        // Many pinned intents ahead of an unpinned one: the page still finds it.
        for (var i = 0; i < 50; i++)
        {
            await index.SaveIntentAsync(Intent($"ghcr.io/org/many:{i}", 5), Ct);
            await index.SaveAsync(Fake($"ghcr.io/org/many:{i}", 10 + i), Ct);
        }

        await index.SaveIntentAsync(Intent("ghcr.io/org/app:z", 6), Ct);
        Assert.Equal(["ghcr.io/org/app:a", "ghcr.io/org/app:b", "ghcr.io/org/app:z"], await Unpinned());
    }

    private protected static AppendIntent Intent(string reference, byte signature, byte[]? certificate = null) =>
        new(Typed.Tag(reference), new DsseEnvelope(Dsse.InTotoPayloadType, Encoding.UTF8.GetBytes("{\"tag\":\"" + reference + "\"}"), [new DsseSignature("", [signature])]), new SignerMaterial([1, 2, 3], certificate is null ? [] : [certificate]));

    private static RememberedCheckpoint Remembered(long size, byte root) => new("log.test/a", size, [root, .. new byte[31]], $"note {size}");

    private protected abstract Task<TestStore> CreateStoreAsync();

    private protected static HeldManifest Held(Tlogistry.Oci.TagReference reference, string annotation)
    {
        var bytes = Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"annotations\":{{\"a\":\"{annotation}\"}}}}");
        return new HeldManifest(reference, Typed.Digest(OciImageBuilder.Sha256Digest(bytes)), "application/vnd.oci.image.manifest.v1+json", bytes);
    }

    /// <summary>A sighting as the store sees it; nothing here is verified, so nothing needs to be real.</summary>
    internal static Sighting Fake(string reference, long logIndex, string logId = LogA)
    {
        var envelope = new DsseEnvelope(Dsse.InTotoPayloadType, Encoding.UTF8.GetBytes("{\"tag\":\"" + reference + "\"}"), [new DsseSignature("", [1, 2, 3])]);
        var entry = new TlogEntry(logIndex, Convert.FromHexString(logId), "tlogistry/sighting", "0.0.1", 1_700_000_000 + logIndex, null, null, Encoding.UTF8.GetBytes("leaf " + reference));
        var bundle = new SigstoreBundle(VerificationMaterial.ForKey("hint"), entry, envelope, null);
        return new Sighting(Typed.Tag(reference), Typed.Digest("sha256:" + new string('a', 64)), "application/vnd.oci.image.manifest.v1+json", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + logIndex), "http://upstream.test/v2/org/app/manifests/v1", "key:sha256:ab", bundle);
    }
}

public sealed class SqliteSightingIndexTests : SightingIndexTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EachUseOfAPooledConnectionRunsWithItsStoresDurabilityEvenAfterAnotherStoreOnTheFileUsedIt()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("index.db");
        var durable = new SqliteSightingIndex(path, durableCommits: true);
        var relaxed = new SqliteSightingIndex(path, durableCommits: false);
        for (var i = 0; i < 3; i++)
        {
            await durable.SaveAsync(Fake($"ghcr.io/org/app:d{i}", 2 * i), Ct);
            Assert.Equal(2, durable.SynchronousInUse());
            await relaxed.SaveAsync(Fake($"ghcr.io/org/app:r{i}", (2 * i) + 1), Ct);
            Assert.Equal(1, relaxed.SynchronousInUse());
        }
    }

    [Fact]
    public async Task AStoreAtSchema9KeepsItsSightingsAndGainsTheReconciledMarks()
    {
        await using var store = new SqliteTestStore();
        await (await store.OpenAsync()).SaveAsync(Fake("ghcr.io/org/app:v1", 0), Ct);
        Raw(store, "DROP TABLE reconciled_marks; PRAGMA user_version = 9;");

        var migrated = await store.OpenAsync();
        Assert.NotNull(await migrated.FindAsync(Typed.Tag("ghcr.io/org/app:v1"), Ct));
        Assert.Equal(0, await migrated.ReconciledThroughAsync(LogA, Ct));
        await migrated.MarkReconciledAsync(LogA, 1, replace: false, Ct);
        Assert.Equal(1, await migrated.ReconciledThroughAsync(LogA, Ct));
    }

    [Fact]
    public async Task AStoreAtSchema2KeepsItsSightingsAndGainsTheCheckpointMemory()
    {
        await using var store = new SqliteTestStore();
        await (await store.OpenAsync()).SaveAsync(Fake("ghcr.io/org/app:v1", 0), Ct);
        Raw(store, "DROP TABLE log_checkpoints; DROP TABLE append_intents; PRAGMA user_version = 2;");

        var migrated = await store.OpenAsync();
        Assert.NotNull(await migrated.FindAsync(Typed.Tag("ghcr.io/org/app:v1"), Ct));
        await migrated.RememberCheckpointAsync(new RememberedCheckpoint("log.test/a", 1, new byte[32], "note"), replace: false, Ct);
        Assert.Equal(1, (await migrated.RememberedCheckpointAsync("log.test/a", Ct))!.Size);
    }

    [Fact]
    public async Task AStoreAtSchema3KeepsItsSightingsAndGainsTheIntents()
    {
        await using var store = new SqliteTestStore();
        await (await store.OpenAsync()).SaveAsync(Fake("ghcr.io/org/app:v1", 0), Ct);
        Raw(store, "DROP TABLE append_intents; PRAGMA user_version = 3;");

        var migrated = await store.OpenAsync();
        Assert.NotNull(await migrated.FindAsync(Typed.Tag("ghcr.io/org/app:v1"), Ct));
        var intent = new AppendIntent(Typed.Tag("ghcr.io/org/app:v2"), Fake("ghcr.io/org/app:v2", 1).Bundle.Envelope!, SignerMaterial.ForKey([1]));
        await migrated.SaveIntentAsync(intent, Ct);
        Assert.Equal(intent.ToJson(), (await migrated.FindIntentAsync(Typed.Tag("ghcr.io/org/app:v2"), Ct))!.ToJson());
    }

    [Fact]
    public async Task AStoreAtSchema7MarksTheIntentsWhoseTagIsPinned()
    {
        await using var store = new SqliteTestStore();
        var index = await store.OpenAsync();
        await index.SaveIntentAsync(Intent("ghcr.io/org/app:a", 1), Ct);
        await index.SaveIntentAsync(Intent("ghcr.io/org/app:b", 2), Ct);
        await index.SaveAsync(Fake("ghcr.io/org/app:a", 0), Ct);
        Raw(store, "DROP TRIGGER sightings_pin_intent; DROP TRIGGER sightings_unpin_intent; DROP INDEX append_intents_unpinned; ALTER TABLE append_intents DROP COLUMN pinned; PRAGMA user_version = 7;");

        var migrated = await store.OpenAsync();
        Assert.Equal(["ghcr.io/org/app:b"], (await migrated.ListIntentsAsync(0, 10, unpinnedOnly: true, Ct)).Intents.Select(i => i.Reference.Canonical));
        await migrated.SaveAsync(Fake("ghcr.io/org/app:b", 1), Ct);
        Assert.Empty((await migrated.ListIntentsAsync(0, 10, unpinnedOnly: true, Ct)).Intents);
    }

    [Fact]
    public async Task AStoreAtSchema6CountsTheManifestsItHeldAgainstTheBound()
    {
        await using var store = new SqliteTestStore();
        var a = Held(Typed.Tag("ghcr.io/org/app:a"), "a");
        var b = Held(Typed.Tag("ghcr.io/org/app:b"), "b");
        Assert.True(await (await store.OpenAsync()).HoldManifestAsync(a, 1 << 20, Ct));
        Raw(store, "DROP TRIGGER held_total_insert; DROP TRIGGER held_total_update; DROP TRIGGER held_total_delete; DROP TABLE held_total; PRAGMA user_version = 6;");

        // The row held before the step counts: b does not fit beside it, and a replacement of a still does.
        var migrated = await store.OpenAsync();
        var bound = a.Bytes.Length + b.Bytes.Length - 1;
        Assert.False(await migrated.HoldManifestAsync(b, bound, Ct));
        Assert.True(await migrated.HoldManifestAsync(Held(a.Reference, "A"), bound, Ct));
        Assert.Null(await migrated.FindHeldManifestAsync(b.Reference, Ct));
    }

    /// <summary>SQL run on the store's file directly, as an older tlogistry (or an operator) would have left it.</summary>
    private static void Raw(SqliteTestStore store, string sql)
    {
        using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={store.Path};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());
}

public sealed class PostgresSightingIndexTests : SightingIndexTests
{
    private protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();
}
