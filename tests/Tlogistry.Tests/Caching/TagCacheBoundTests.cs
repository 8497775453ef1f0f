using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Ledger;
using Tlogistry.Registry.Tags;
using Tlogistry.Store;
using Tlogistry.Tests.Store;
using Tlogistry.Upstream;

namespace Tlogistry.Tests.Caching;

/// <summary>The caches keyed by tag, filled past their bounds by a client naming tags without end.</summary>
public sealed class TagCacheBoundTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void VerifiedPinsOfManyTagsAndHugeNamesStayWithinTheirBytes()
    {
        const long capacity = 2 * 1024 * 1024;
        var pins = new VerifiedPins(capacity);
        for (var i = 0; i < 20_000; i++)
        {
            // Tags up to the longest OCI allows, under repositories of hundreds of characters.
            var repository = "registry.test/" + new string('r', 1 + (i % 200)) + "/app" + (i % 500);
            var tag = "t" + i + new string('x', i % 120);
            pins.Remember(SightingIndexTests.Fake($"{repository}:{tag}", i));
            Assert.InRange(pins.HeldBytes, 0, capacity);
        }

        var last = SightingIndexTests.Fake("registry.test/org/app:last", 20_001);
        pins.Remember(last);
        Assert.True(pins.TryGet(last.Reference, out var got));
        Assert.Same(last, got);
        Assert.InRange(pins.HeldBytes, 0, capacity);

        // A pin is charged at least what its bundle and names hold.
        Assert.True(PinBytes.Of(last) > last.Bundle.Entry.CanonicalizedBody.Length + (2L * last.Reference.Canonical.Length));
    }

    [Fact]
    public void APinWithALargerBundleIsChargedMore()
    {
        var small = SightingIndexTests.Fake("registry.test/org/app:v1", 1);
        var large = small with { Bundle = small.Bundle with { Material = small.Bundle.Material with { Certificates = [new byte[8192], new byte[4096]] } } };
        Assert.True(PinBytes.Of(large) >= PinBytes.Of(small) + 8192 + 4096);
    }

    [Fact]
    public async Task HeldPinsRememberManyConfirmedTagsWithinTheirBytes()
    {
        const long capacity = 512 * 1024;
        var held = new HeldPins(new NoHeldManifests(), new HeldPinSettings(1024 * 1024, TimeSpan.FromHours(1), false), TimeProvider.System, NullLogger.Instance, capacity);
        for (var i = 0; i < 20_000; i++)
        {
            var pin = SightingIndexTests.Fake($"registry.test/org/app{i % 300}:tag-{i}-{new string('y', i % 100)}", i);
            var bytes = Encoding.UTF8.GetBytes("{\"schemaVersion\":2}");
            await held.ConfirmedAsync(pin.Reference, pin, new UpstreamManifest(bytes, "application/vnd.oci.image.manifest.v1+json", pin.Digest.ToString(), bytes.Length, new Uri("http://upstream.test/")), Ct);
            Assert.InRange(held.HeldBytes, 0, 2 * capacity);
        }

        // The latest confirmation is fresh; one long forgotten is not (it costs one question upstream).
        Assert.True(held.Fresh(SightingIndexTests.Fake("registry.test/org/app199:tag-19999-" + new string('y', 99), 0).Reference));
        Assert.False(held.Fresh(SightingIndexTests.Fake("registry.test/org/app0:tag-0-", 0).Reference));
    }

    [Fact]
    public void FirstSightingChargesOfManyTagsStayWithinTheirBytes()
    {
        using var limiter = FirstSightingLimiter.Create(perMinute: 1_000_000, burst: 1_000_000)!;
        var client = IPAddress.Parse("192.0.2.9");
        for (var i = 0; i < 50_000; i++)
        {
            Assert.True(limiter.TryAcquire(client, $"registry.test/org/app:{i}-" + new string('z', i % 128), out _));
            Assert.InRange(limiter.ChargedBytes, 0, FirstSightingLimiter.ChargedCapacityBytes);
        }
    }

    /// <summary>A store that takes every held manifest and holds none.</summary>
    private sealed class NoHeldManifests : IHeldManifests
    {
        public Task<bool> HoldManifestAsync(HeldManifest manifest, long maxBytes, CancellationToken cancellationToken, bool mayBeHeld = true) => Task.FromResult(true);

        public Task<HeldManifest?> FindHeldManifestAsync(Tlogistry.Oci.TagReference reference, CancellationToken cancellationToken) => Task.FromResult<HeldManifest?>(null);
    }
}
