using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Ledger;
using Tlogistry.Signing;
using Tlogistry.Store;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Tests.Ledger;

/// <summary>
/// Ledgers as replicas have them: each with its own in-memory state and store instance, all
/// over one PostgreSQL database, one log and one signing key.
/// </summary>
public sealed class SharedStoreTests : IDisposable
{
    private const string Tag = "index.docker.io/library/alpine:3.16.0";
    private readonly TempDirectory _dir = new();
    private readonly InstanceKey _key;
    private readonly EmbeddedLog _log;

    public SharedStoreTests()
    {
        _key = InstanceKey.LoadOrCreate(_dir.Combine("signing-key.pem"));
        _log = EmbeddedLog.Open(_dir.Combine("log"), NullLogger.Instance);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string D(char c) => "sha256:" + new string(c, 64);

    [Fact]
    public async Task ConcurrentFirstSightingsOverThreeReplicasMakeOneEntry()
    {
        await using var store = await PostgresTestStore.CreateAsync();
        var replicas = new[] { Ledger(await store.OpenAsync()), Ledger(await store.OpenAsync()), Ledger(await store.OpenAsync()) };

        var observed = Enumerable.Range(0, 50).Select(i => D(i % 2 == 0 ? 'a' : 'b')).ToArray();
        var decisions = await Task.WhenAll(observed.Select((digest, i) =>
            Task.Run(() => replicas[i % 3].ObserveAsync(Seen(digest), Ct))));

        Assert.Equal(1, _log.Size);
        Assert.Equal(1, await store.CountAsync());
        var first = Assert.Single(decisions, d => d.Outcome == PinOutcome.FirstSeen);
        Assert.All(decisions, d => Assert.Equal((first.Pin.Digest, 0L), (d.Pin.Digest, d.Pin.LogIndex)));
        Assert.All(decisions.Zip(observed).Where(p => p.First.Outcome != PinOutcome.FirstSeen), p =>
            Assert.Equal(p.Second == first.Pin.Digest.ToString() ? PinOutcome.Match : PinOutcome.Mismatch, p.First.Outcome));

        // Any replica refuses the other digest now.
        var other = first.Pin.Digest.ToString() == D('a') ? D('b') : D('a');
        foreach (var replica in replicas)
        {
            Assert.Equal(PinOutcome.Mismatch, (await replica.ObserveAsync(Seen(other), Ct)).Outcome);
        }
    }

    [Fact]
    public async Task APinAnotherReplicaSavedWhileThisOneWaitedIsUsedNotLoggedAgain()
    {
        await using var store = await PostgresTestStore.CreateAsync();
        var waiting = Ledger(await store.OpenAsync());
        var holder = Ledger(await store.OpenAsync());

        // The waiting replica has looked the tag up and found nothing (its caches stay empty)
        // before the other one records it.
        Assert.Null(await waiting.FindPinAsync(Typed.Tag(Tag), Ct));
        Assert.Equal(PinOutcome.FirstSeen, (await holder.ObserveAsync(Seen(D('a')), Ct)).Outcome);

        var decision = await waiting.ObserveAsync(Seen(D('b')), Ct);
        Assert.Equal((PinOutcome.Mismatch, D('a')), (decision.Outcome, decision.Pin.Digest.ToString()));
        Assert.Equal(1, _log.Size);
    }

    [Fact]
    public async Task AReplicaWaitingOnAStuckHolderAnswersUnavailableAndLogsNothing()
    {
        await using var store = await PostgresTestStore.CreateAsync(TimeSpan.FromMilliseconds(300));
        var stuck = await (await store.OpenAsync()).LockTagAsync(Typed.Tag(Tag), Ct);
        var ledger = Ledger(await store.OpenAsync());

        var refused = await Assert.ThrowsAsync<LedgerUnavailableException>(() => ledger.ObserveAsync(Seen(D('a')), Ct));
        Assert.Contains("tag lock", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, _log.Size);

        await stuck.DisposeAsync();
        Assert.Equal(PinOutcome.FirstSeen, (await ledger.ObserveAsync(Seen(D('a')), Ct)).Outcome);
    }

    public void Dispose()
    {
        _log.Dispose();
        _key.Dispose();
        _dir.Dispose();
    }

    private static Observation Seen(string digest) =>
        new(Typed.Tag(Tag), Typed.Digest(digest), "application/vnd.oci.image.manifest.v1+json", "http://upstream.test/v2/library/alpine/manifests/3.16.0");

    private TagLedger Ledger(ISightingIndex index)
    {
        var reader = new SightingReader(new BundleVerifier(TrustedRoot.PublicGood.WithLogs([_log.Trusted])), new KeyPolicy([_key.PublicKeyDer]), _key.Identity, SignerMaterial.ForKey(_key.PublicKeyDer), TimeProvider.System);
        return new TagLedger(index, new EmbeddedSightingLog(_log, TimeProvider.System), _key, reader, TimeProvider.System, NullLogger<TagLedger>.Instance);
    }
}
