using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Oci;
using Tlogistry.Registry.Tags;
using Tlogistry.Store;
using Tlogistry.Tests.Store;
using Tlogistry.Tests.Support.Data;
using Tlogistry.Tests.Support.Doubles;
using Tlogistry.Upstream;

namespace Tlogistry.Tests.Registry;

/// <summary>A held store at its bound, confirmed by pulls of tags it cannot take.</summary>
public sealed class HeldBoundTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AStoreAtItsBoundIsNotOfferedManifestsAsLargeAsOneItRefusedUntilTheRefusalLapses()
    {
        using var dir = new TempDirectory();
        var store = new CountingHeld(new SqliteSightingIndex(dir.Combine("index.db"), durableCommits: false));
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-03-04T05:06:07Z", System.Globalization.CultureInfo.InvariantCulture));
        var held = new HeldPins(store, new HeldPinSettings(1000, TimeSpan.Zero, true), time, NullLogger.Instance);

        Assert.True(await ConfirmAsync(held, "a", 600));
        Assert.Equal(1, store.Offers);

        // Refused for the bound: offered once.
        Assert.False(await ConfirmAsync(held, "b", 600));
        Assert.Equal(2, store.Offers);

        // As large or larger, within the minute: not offered at all.
        Assert.False(await ConfirmAsync(held, "c", 700));
        Assert.False(await ConfirmAsync(held, "d", 600));
        Assert.Equal(2, store.Offers);

        // Smaller than what was refused: offered, and it fits.
        Assert.True(await ConfirmAsync(held, "e", 300));
        Assert.Equal(3, store.Offers);

        // Once the refusal lapses a manifest is offered again (and refused again, the store being full).
        time.Advance(HeldPins.RefusalStands);
        Assert.False(await ConfirmAsync(held, "f", 600));
        Assert.Equal(4, store.Offers);
        Assert.False(await ConfirmAsync(held, "g", 650));
        Assert.Equal(4, store.Offers);
    }

    [Fact]
    public async Task AStandingRefusalNeverKeepsATagsOwnRejectedRowFromBeingWrittenOver()
    {
        using var dir = new TempDirectory();
        var index = new SqliteSightingIndex(dir.Combine("index.db"), durableCommits: false);
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-03-04T05:06:07Z", System.Globalization.CultureInfo.InvariantCulture));
        var settings = new HeldPinSettings(1000, TimeSpan.Zero, true);
        Assert.True(await ConfirmAsync(new HeldPins(index, settings, time, NullLogger.Instance), "a", 600));

        // Another process: the store is full, and a refusal stands.
        var store = new CountingHeld(index);
        var held = new HeldPins(store, settings, time, NullLogger.Instance);
        Assert.False(await ConfirmAsync(held, "b", 600));
        Assert.Equal(1, store.Offers);

        // Tag a is pinned anew (another manifest of the same size): not known to have a row, it waits.
        Assert.False(await ConfirmAsync(held, "a", 600, variant: 1));
        Assert.Equal(1, store.Offers);

        // Once its row is read and found held for the earlier pin, it is offered, and fits in its own room.
        var repinned = Pin("a", 600, variant: 1);
        Assert.Null(held.Verify((await held.FindAsync(repinned.Pin.Reference, Ct))!, repinned.Pin, new Uri("http://upstream.test/")));
        Assert.True(await ConfirmAsync(held, "a", 600, variant: 1));
        Assert.Equal(2, store.Offers);
    }

    /// <summary>Confirms tag <paramref name="tag"/> pinned to a manifest of <paramref name="size"/> bytes; whether the store now holds it.</summary>
    private static async Task<bool> ConfirmAsync(HeldPins held, string tag, int size, int variant = 0)
    {
        var (pin, manifest) = Pin(tag, size, variant);
        await held.ConfirmedAsync(pin.Reference, pin, manifest, Ct);
        return await held.FindAsync(pin.Reference, Ct) is { } row && row.Digest == pin.Digest;
    }

    /// <summary>Tag <paramref name="tag"/>'s pin to a manifest of <paramref name="size"/> bytes (another for each <paramref name="variant"/>).</summary>
    private static (Sighting Pin, UpstreamManifest Manifest) Pin(string tag, int size, int variant = 0)
    {
        var bytes = new byte[size];
        bytes.AsSpan().Fill((byte)(tag[0] + variant));
        var pin = SightingIndexTests.Fake("registry.test/org/app:" + tag, tag[0]) with { Digest = Digest.Sha256(bytes) };
        return (pin, new UpstreamManifest(bytes, "application/vnd.oci.image.manifest.v1+json", pin.Digest.ToString(), size, new Uri("http://upstream.test/")));
    }

    private sealed class CountingHeld(IHeldManifests inner) : IHeldManifests
    {
        private int _offers;

        public int Offers => Volatile.Read(ref _offers);

        public Task<bool> HoldManifestAsync(HeldManifest manifest, long maxTotalBytes, CancellationToken cancellationToken, bool mayBeHeld = true)
        {
            Interlocked.Increment(ref _offers);
            return inner.HoldManifestAsync(manifest, maxTotalBytes, cancellationToken, mayBeHeld);
        }

        public Task<HeldManifest?> FindHeldManifestAsync(TagReference reference, CancellationToken cancellationToken) =>
            inner.FindHeldManifestAsync(reference, cancellationToken);
    }
}
