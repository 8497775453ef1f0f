using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Http;
using Tlogistry.Ledger;
using Tlogistry.Signing;
using Tlogistry.Tests.LogServer;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Rekor;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Tests.Ledger;

/// <summary>
/// Rekor v2 keeps only a hash of a sighting, so the store is the only copy of it: a first
/// sighting whose store write fails is not acknowledged, is never logged twice, and is
/// served once the store takes it.
/// </summary>
public abstract class LostPinTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string D(char c) => "sha256:" + new string(c, 64);

    [Fact]
    public async Task AV2SightingTheStoreCouldNotSaveIsNotAcknowledgedUntilItIsSaved()
    {
        using var dir = new TempDirectory();
        await using var store = await CreateStoreAsync();
        await using var server = await LogServerClient.StartAsync(dir.Combine("log"));
        var root = TrustedRoot.Parse(await File.ReadAllBytesAsync(dir.Combine("log", "trusted_root.json"), Ct));
        var v2 = root.Logs.First(l => !l.LogId.AsSpan().SequenceEqual(LogIds.ForRekorV1(l.PublicKeyDer)));
        using var http = new HttpClient();
        var log = new RekorV2Log(server.Http.BaseAddress!, v2.LogId, http, JsonHttpOptions.ForRekor(), NullLogger<RekorV2Log>.Instance);
        using var key = InstanceKey.LoadOrCreate(dir.Combine("signing-key.pem"));
        var reader = new SightingReader(new BundleVerifier(root), new KeyPolicy([key.PublicKeyDer]), key.Identity, SignerMaterial.ForKey(key.PublicKeyDer), TimeProvider.System);
        var ledger = new TagLedger(await store.OpenAsync(), log, key, reader, TimeProvider.System, NullLogger<TagLedger>.Instance);
        await store.RefuseWritesAsync();

        var first = await Assert.ThrowsAsync<LedgerUnavailableException>(() => ledger.ObserveAsync(Seen("ghcr.io/org/app:v1", D('a')), Ct));
        Assert.Contains("in the log at index 0", first.Message, StringComparison.Ordinal);

        // Still refused while the store refuses, and the tag is not logged a second time.
        await Assert.ThrowsAsync<LedgerUnavailableException>(() => ledger.ObserveAsync(Seen("ghcr.io/org/app:v1", D('b')), Ct));
        Assert.Equal(1, await LogSizeAsync(log));

        await store.AllowWritesAsync();
        var decision = await ledger.ObserveAsync(Seen("ghcr.io/org/app:v1", D('b')), Ct);
        Assert.Equal((PinOutcome.Mismatch, D('a')), (decision.Outcome, decision.Pin.Digest.ToString()));
        Assert.NotNull(await (await store.OpenAsync()).FindAsync(Typed.Tag("ghcr.io/org/app:v1"), Ct));
        Assert.Equal(1, await LogSizeAsync(log));
    }

    private protected abstract Task<TestStore> CreateStoreAsync();

    private static Observation Seen(string reference, string digest) =>
        new(Typed.Tag(reference), Typed.Digest(digest), "application/vnd.oci.image.manifest.v1+json", "http://upstream.test/v2/x/manifests/y");

    private static async Task<long> LogSizeAsync(RekorV2Log log) =>
        long.Parse((await log.ReadCheckpointAsync(Ct)).Split('\n')[1], System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class SqliteLostPinTests : LostPinTests
{
    private protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());
}

public sealed class PostgresLostPinTests : LostPinTests
{
    private protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();
}
