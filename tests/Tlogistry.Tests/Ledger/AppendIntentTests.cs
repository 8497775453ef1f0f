using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Client.Audit;
using Tlogistry.Http;
using Tlogistry.Ledger;
using Tlogistry.Signing;
using Tlogistry.Store;
using Tlogistry.Tests.LogServer;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Rekor;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Tests.Ledger;

/// <summary>
/// Write-ahead intents over a log that cannot be searched (<c>log serve</c>'s Rekor v2 API): a
/// first sighting stores what it sends before sending it, and a process that finds an intent
/// without a pin (the last one died between the log and the store) sends the same bytes again,
/// which the log answers with the entry it holds. One tag, one entry, whoever finishes it.
/// </summary>
public abstract class AppendIntentTests
{
    private const string Tag = "ghcr.io/org/app:v1";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string D(char c) => "sha256:" + new string(c, 64);

    [Fact]
    public async Task AFirstSightingLeftBetweenTheLogAndTheStoreIsFinishedFromItsIntentWithOneEntry()
    {
        await using var rig = await Rig.StartAsync(await CreateStoreAsync());

        // The first process: its intent is stored before the log hears of it; then the store
        // refuses the pin, as a process killed after the append leaves it.
        var first = await rig.LedgerAsync();
        await rig.Store.RefuseWritesAsync();
        await Assert.ThrowsAsync<LedgerUnavailableException>(() => first.ObserveAsync(Seen(D('a')), Ct));
        Assert.Equal(1, await rig.LogSizeAsync());
        var sent = Assert.Single(rig.Log.Sent);
        Assert.Equal(sent.Intent!.ToJson(), sent.Request);
        await rig.Store.AllowWritesAsync();

        // A new process (a restart, or another replica) resumes the intent at its start.
        var second = await rig.LedgerAsync();
        Assert.Equal(1, await second.ResumeIntentsAsync(Ct));
        var index = await rig.Store.OpenAsync();
        var pin = await index.FindAsync(Typed.Tag(Tag), Ct);
        Assert.NotNull(pin);
        Assert.Equal((0L, D('a')), (pin.LogIndex, pin.Digest.ToString()));
        Assert.Equal(2, rig.Log.Sent.Count);
        Assert.Equal(rig.Log.Sent[0].Request, rig.Log.Sent[1].Request);
        Assert.Equal(1, await rig.LogSizeAsync());
        Assert.Equal((PinOutcome.Match, 0L), await OutcomeAsync(second, D('a')));
        Assert.Equal(0, await second.ResumeIntentsAsync(Ct));
    }

    [Fact]
    public async Task TheNextRequestForTheTagSendsTheIntentAgainAndAMovedTagIsComparedWithIt()
    {
        await using var rig = await Rig.StartAsync(await CreateStoreAsync());
        var first = await rig.LedgerAsync();
        await rig.Store.RefuseWritesAsync();
        await Assert.ThrowsAsync<LedgerUnavailableException>(() => first.ObserveAsync(Seen(D('a')), Ct));
        await rig.Store.AllowWritesAsync();

        // Upstream moved the tag meanwhile: the first observation, already in the log, is the pin.
        var second = await rig.LedgerAsync();
        Assert.Equal((PinOutcome.Mismatch, 0L), await OutcomeAsync(second, D('b')));
        Assert.Equal(1, await rig.LogSizeAsync());
        Assert.Equal(D('a'), (await (await rig.Store.OpenAsync()).FindAsync(Typed.Tag(Tag), Ct))!.Digest.ToString());
    }

    [Fact]
    public async Task APinDeletedFromTheStoreComesBackFromItsIntentAsTheSameEntry()
    {
        await using var rig = await Rig.StartAsync(await CreateStoreAsync());
        Assert.Equal((PinOutcome.FirstSeen, 0L), await OutcomeAsync(await rig.LedgerAsync(), D('a')));
        Assert.Equal(1, await rig.Store.DeleteAsync(Tag));

        // The log cannot be searched, yet the tag is not pinned anew: the intent is sent again.
        Assert.Equal((PinOutcome.Mismatch, 0L), await OutcomeAsync(await rig.LedgerAsync(), D('b')));
        Assert.Equal(1, await rig.LogSizeAsync());
        Assert.Equal(D('a'), (await (await rig.Store.OpenAsync()).FindAsync(Typed.Tag(Tag), Ct))!.Digest.ToString());
    }

    [Fact]
    public async Task AnIntentThatNamesAnotherTagIsRefusedAndNothingIsLogged()
    {
        await using var rig = await Rig.StartAsync(await CreateStoreAsync());
        var index = await rig.Store.OpenAsync();

        // A row for v1 holding v2's signed statement: sending it would pin v2's claim under v1's name.
        var other = await rig.Key.SignAsync(Dsse.InTotoPayloadType, SightingStatement.Encode(new SightingClaim(Typed.Tag("ghcr.io/org/app:v2"), Typed.Digest(D('c')), "m", DateTimeOffset.UtcNow, "u", rig.Key.Identity)), Ct);
        await index.SaveIntentAsync(new AppendIntent(Typed.Tag(Tag), other.Envelope, other.Signer), Ct);

        var ledger = await rig.LedgerAsync();
        await Assert.ThrowsAsync<LedgerIntegrityException>(() => ledger.ObserveAsync(Seen(D('a')), Ct));
        Assert.Equal(0, await rig.LogSizeAsync());
    }

    [Fact]
    public async Task AnIntentWhoseCertificateExpiredIsSignedAnewOnlyWhenASearchedLogLacksIt()
    {
        using var dir = new TempDirectory();
        await using var store = await CreateStoreAsync();
        using var key = InstanceKey.LoadOrCreate(dir.Combine("signing-key.pem"));
        using var embedded = EmbeddedLog.Open(dir.Combine("log"), NullLogger.Instance, EmbeddedEntry.Subject);
        var reader = new SightingReader(new BundleVerifier(TrustedRoot.PublicGood.WithLogs([embedded.Trusted])), new KeyPolicy([key.PublicKeyDer]), key.Identity, SignerMaterial.ForKey(key.PublicKeyDer), TimeProvider.System);
        var index = await store.OpenAsync();

        // What a keyless process left: an intent whose certificate ended yesterday, never logged.
        using var ephemeral = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=expired", ephemeral, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var expired = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(-1));
        var stale = await key.SignAsync(Dsse.InTotoPayloadType, SightingStatement.Encode(new SightingClaim(Typed.Tag(Tag), Typed.Digest(D('a')), "m", DateTimeOffset.UtcNow.AddDays(-1), "u", key.Identity)), Ct);
        await index.SaveIntentAsync(new AppendIntent(Typed.Tag(Tag), stale.Envelope, new SignerMaterial(key.PublicKeyDer, [expired.RawData])), Ct);

        var ledger = new TagLedger(index, new EmbeddedSightingLog(embedded, TimeProvider.System), key, reader, TimeProvider.System, NullLogger<TagLedger>.Instance);
        var decision = await ledger.ObserveAsync(Seen(D('a')), Ct);
        Assert.Equal((PinOutcome.FirstSeen, 0L), (decision.Outcome, decision.Pin.LogIndex));
        Assert.Equal(1, embedded.Size);
        var replaced = await index.FindIntentAsync(Typed.Tag(Tag), Ct);
        Assert.Empty(replaced!.Signer.Certificates);
        Assert.Equal(decision.Pin.Bundle.Envelope!.ToJson(), replaced.Envelope.ToJson());
        Assert.NotEqual(stale.Envelope.ToJson(), replaced.Envelope.ToJson());
    }

    [Fact]
    public async Task AuditExplainsAnEntryNoBundleHoldsOnlyByTheIntentThatSentIt()
    {
        await using var rig = await Rig.StartAsync(await CreateStoreAsync());

        // A dropped intent: its entry is in the log, but the tag was pinned by another entry.
        var signed = await rig.Key.SignAsync(Dsse.InTotoPayloadType, SightingStatement.Encode(new SightingClaim(Typed.Tag(Tag), Typed.Digest(D('a')), "m", DateTimeOffset.UtcNow, "u", rig.Key.Identity)), Ct);
        var dropped = new AppendIntent(Typed.Tag(Tag), signed.Envelope, signed.Signer);
        var entry = await rig.Log.AppendAsync(signed.Envelope, signed.Signer, Ct);
        var ours = new OurEntry(Convert.ToHexStringLower(entry.LogId), entry.LogIndex, Convert.ToHexStringLower(Rfc6962.LeafHash(entry.CanonicalizedBody)), "hashedrekord 0.0.2", null);

        Assert.Single(AuditReport.Build(1, [ours], []).Unexplained);

        var sighting = new IntentMatch([dropped], rig.Reader).Explain(ours, entry);
        Assert.NotNull(sighting);
        Assert.Equal((Tag, D('a')), (sighting.Reference.Canonical, sighting.Digest.ToString()));
        var report = AuditReport.Build(1, [ours], [], byIntent: [sighting]);
        Assert.True(report.IsClean);
        Assert.Single(report.ByIntent);

        // What a publisher might claim instead: the same signature over another statement, or the
        // right envelope under another tag's name. Neither explains the entry.
        var forged = dropped with { Envelope = signed.Envelope with { Payload = SightingStatement.Encode(new SightingClaim(Typed.Tag(Tag), Typed.Digest(D('f')), "m", DateTimeOffset.UtcNow, "u", rig.Key.Identity)) } };
        Assert.Null(new IntentMatch([forged, dropped with { Reference = Typed.Tag("ghcr.io/org/app:v9") }], rig.Reader).Explain(ours, entry));

        // An intent with another digest than the tag's pin is a second digest in the log: a conflict.
        var pinned = await rig.Key.SignAsync(Dsse.InTotoPayloadType, SightingStatement.Encode(new SightingClaim(Typed.Tag(Tag), Typed.Digest(D('b')), "m", DateTimeOffset.UtcNow, "u", rig.Key.Identity)), Ct);
        var pinEntry = await rig.Log.AppendAsync(pinned.Envelope, pinned.Signer, Ct);
        var pin = rig.Reader.Read(rig.Reader.Bundle(pinEntry, pinned.Envelope));
        var published = new PublishedBundle(Convert.ToHexStringLower(pinEntry.LogId), pinEntry.LogIndex, Convert.ToHexStringLower(Rfc6962.LeafHash(pinEntry.CanonicalizedBody)), pin, null);
        var conflicted = AuditReport.Build(2, [ours], [published], byIntent: [sighting]);
        Assert.Empty(conflicted.Unexplained);
        Assert.Equal([D('a'), D('b')], Assert.Single(conflicted.Conflicts).Sightings.Select(s => s.Digest.ToString()));
    }

    private protected abstract Task<TestStore> CreateStoreAsync();

    private static Observation Seen(string digest) =>
        new(Typed.Tag(Tag), Typed.Digest(digest), "application/vnd.oci.image.manifest.v1+json", "http://upstream.test/v2/org/app/manifests/v1");

    private static async Task<(PinOutcome, long)> OutcomeAsync(TagLedger ledger, string digest)
    {
        var decision = await ledger.ObserveAsync(Seen(digest), Ct);
        return (decision.Outcome, decision.Pin.LogIndex);
    }

    /// <summary>An in-process <c>log serve</c>, a store, a key, and ledgers made afresh as new processes would be.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly TempDirectory _dir;
        private readonly LogServerClient _server;
        private readonly HttpClient _http;
        private readonly RekorV2Log _v2;

        private Rig(TempDirectory dir, TestStore store, LogServerClient server, HttpClient http, RekorV2Log v2, InstanceKey key, SightingReader reader)
        {
            _dir = dir;
            Store = store;
            _server = server;
            _http = http;
            _v2 = v2;
            Key = key;
            Reader = reader;
            Log = new WatchedLog(v2, store);
        }

        public TestStore Store { get; }

        public InstanceKey Key { get; }

        public SightingReader Reader { get; }

        public WatchedLog Log { get; }

        public static async Task<Rig> StartAsync(TestStore store)
        {
            var dir = new TempDirectory();
            var server = await LogServerClient.StartAsync(dir.Combine("log"));
            var root = TrustedRoot.Parse(await File.ReadAllBytesAsync(dir.Combine("log", "trusted_root.json"), Ct));
            var v2 = root.Logs.First(l => !l.LogId.AsSpan().SequenceEqual(LogIds.ForRekorV1(l.PublicKeyDer)));
            var http = new HttpClient();
            var log = new RekorV2Log(server.Http.BaseAddress!, v2.LogId, http, JsonHttpOptions.ForRekor(), NullLogger<RekorV2Log>.Instance);
            var key = InstanceKey.LoadOrCreate(dir.Combine("signing-key.pem"));
            var reader = new SightingReader(new BundleVerifier(root), new KeyPolicy([key.PublicKeyDer]), key.Identity, SignerMaterial.ForKey(key.PublicKeyDer), TimeProvider.System);
            return new Rig(dir, store, server, http, log, key, reader);
        }

        public async Task<TagLedger> LedgerAsync() =>
            new(await Store.OpenAsync(), Log, Key, Reader, TimeProvider.System, NullLogger<TagLedger>.Instance);

        public async Task<long> LogSizeAsync() =>
            long.Parse((await _v2.ReadCheckpointAsync(Ct)).Split('\n')[1], System.Globalization.CultureInfo.InvariantCulture);

        public async ValueTask DisposeAsync()
        {
            Key.Dispose();
            _http.Dispose();
            await _server.DisposeAsync();
            await Store.DisposeAsync();
            _dir.Dispose();
        }
    }

    /// <summary>The log as the ledger sees it, noting each envelope sent and the intent the store held for its tag at that moment.</summary>
    private sealed class WatchedLog(ITransparencyLog inner, TestStore store) : ITransparencyLog
    {
        public List<(byte[] Request, AppendIntent? Intent)> Sent { get; } = [];

        public string Description => inner.Description;

        public byte[] LogId => inner.LogId;

        public bool FindsLostPins => inner.FindsLostPins;

        public async Task<TlogEntry> AppendAsync(DsseEnvelope envelope, SignerMaterial signer, CancellationToken cancellationToken)
        {
            var reference = SightingStatement.Decode(envelope.Payload).Reference;
            var intent = await (await store.OpenAsync()).FindIntentAsync(reference, cancellationToken);
            Sent.Add((new AppendIntent(reference, envelope, signer).ToJson(), intent));
            return await inner.AppendAsync(envelope, signer, cancellationToken);
        }

        public IAsyncEnumerable<LogRecord> SearchAsync(string reference, SignerMaterial signer, CancellationToken cancellationToken) => inner.SearchAsync(reference, signer, cancellationToken);

        public IAsyncEnumerable<LogRecord> ReadFromAsync(long startIndex, IReadOnlyList<SignerMaterial> signers, CancellationToken cancellationToken) => inner.ReadFromAsync(startIndex, signers, cancellationToken);

        public Task CheckAsync(CancellationToken cancellationToken) => inner.CheckAsync(cancellationToken);
    }
}

public sealed class SqliteAppendIntentTests : AppendIntentTests
{
    private protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());
}

public sealed class PostgresAppendIntentTests : AppendIntentTests
{
    private protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();
}
