using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Ledger;
using Tlogistry.Signing;
using Tlogistry.Store;
using Tlogistry.Tests.Support.Doubles;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Tests.Ledger;

/// <summary>The ledger over the real embedded log in a temporary data directory, and each store.</summary>
public abstract class TagLedgerTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly List<IDisposable> _open = [];
    private TestStore? _store;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TestStore Store => _store ?? throw new InvalidOperationException("not initialized");

    private static string D(char c) => "sha256:" + new string(c, 64);

    private static Observation Seen(string reference, string digest) =>
        new(Typed.Tag(reference), Typed.Digest(digest), "application/vnd.oci.image.manifest.v1+json", "http://upstream.test/v2/x/manifests/y");

    public async ValueTask InitializeAsync() => _store = await CreateStoreAsync();

    [Fact]
    public async Task FirstSightingPinsThenSameDigestMatchesAndAnotherMismatches()
    {
        var (ledger, log, _) = await OpenAsync();
        var first = await ledger.ObserveAsync(Seen("ghcr.io/org/app:v1", D('a')), Ct);
        Assert.Equal(PinOutcome.FirstSeen, first.Outcome);
        Assert.Equal(0, first.Pin.LogIndex);

        var again = await ledger.ObserveAsync(Seen("ghcr.io/org/app:v1", D('a')), Ct);
        Assert.Equal(PinOutcome.Match, again.Outcome);
        var moved = await ledger.ObserveAsync(Seen("ghcr.io/org/app:v1", D('b')), Ct);
        Assert.Equal(PinOutcome.Mismatch, moved.Outcome);
        Assert.Equal(D('a'), moved.Pin.Digest.ToString());
        Assert.Equal(1, log.Size);

        // The envelope is ours and says what the index says.
        var envelope = first.Pin.Bundle.Envelope!;
        var claim = SightingStatement.Decode(envelope.Payload);
        Assert.Equal(("ghcr.io/org/app:v1", D('a')), (claim.Reference.Canonical, claim.Digest.ToString()));
        Assert.Equal(ledger.Identity, claim.Identity);
    }

    [Fact]
    public async Task ConcurrentFirstSightingsOfOneTagMakeOneEntry()
    {
        var (ledger, log, _) = await OpenAsync();
        var observed = Enumerable.Range(0, 50).Select(i => D(i % 2 == 0 ? 'a' : 'b')).ToArray();
        var decisions = await Task.WhenAll(observed.Select(digest =>
            Task.Run(() => ledger.ObserveAsync(Seen("index.docker.io/library/alpine:3.16.0", digest), Ct))));
        Assert.Equal(1, log.Size);
        var pinned = Assert.Single(decisions, d => d.Outcome == PinOutcome.FirstSeen).Pin.Digest;
        Assert.All(decisions, d => Assert.Equal(pinned, d.Pin.Digest));
        Assert.All(decisions.Zip(observed).Where(p => p.First.Outcome != PinOutcome.FirstSeen), p =>
            Assert.Equal(p.Second == pinned.ToString() ? PinOutcome.Match : PinOutcome.Mismatch, p.First.Outcome));
        Assert.Equal(1, await Store.CountAsync());
    }

    [Fact]
    public async Task ALoggedSightingMissingFromTheIndexIsIndexedAgainAtStart()
    {
        var (ledger, log, key) = await OpenAsync();
        await ledger.ObserveAsync(Seen("ghcr.io/org/a:1", D('a')), Ct);

        // A crash after the log append but before the index write.
        await AppendBehindTheLedgerAsync(log, key, "ghcr.io/org/b:1", D('b'));
        Assert.Null(await (await Store.OpenAsync()).FindAsync(Typed.Tag("ghcr.io/org/b:1"), Ct));

        var (restarted, _, _) = await OpenAsync();
        Assert.Equal(1, await restarted.ReconcileAsync(Ct));
        Assert.Equal(0, await restarted.ReconcileAsync(Ct));
        var decision = await restarted.ObserveAsync(Seen("ghcr.io/org/b:1", D('c')), Ct);
        Assert.Equal(PinOutcome.Mismatch, decision.Outcome);
        Assert.Equal(1, decision.Pin.LogIndex);
    }

    [Fact]
    public async Task AStartReadsTheLogFromTheStoresReconciledMarkWhichFollowsTheEntriesSaved()
    {
        var (ledger, log, key) = await OpenAsync(markStep: 2);
        Assert.Equal(0, await ledger.ReconcileAsync(Ct));
        foreach (var tag in "abcde")
        {
            await ledger.ObserveAsync(Seen($"ghcr.io/org/{tag}:1", D(tag)), Ct);
        }

        // Written every second entry saved: 4 of the 5.
        Assert.Equal(4, await MarkAsync(log));

        // A crash between log and store at entry 5, then one more saved above the gap: the mark waits at the gap.
        await AppendBehindTheLedgerAsync(log, key, "ghcr.io/org/f:1", D('f'));
        await ledger.ObserveAsync(Seen("ghcr.io/org/g:1", D('a')), Ct);
        await ledger.ObserveAsync(Seen("ghcr.io/org/h:1", D('a')), Ct);
        Assert.Equal(4, await MarkAsync(log));

        var (restarted, _, _) = await OpenAsync(markStep: 2);
        Assert.Equal(1, await restarted.ReconcileAsync(Ct));
        Assert.Equal(8, await MarkAsync(log));
        Assert.Equal(PinOutcome.Mismatch, (await restarted.ObserveAsync(Seen("ghcr.io/org/f:1", D('b')), Ct)).Outcome);

        // Below the mark the store is not read again at start: a row deleted there stays missing
        // from the store. The tag is still not pinned anew: the log is searched before any append.
        Assert.Equal(1, await Store.DeleteAsync("ghcr.io/org/b:1"));
        var (again, _, _) = await OpenAsync(markStep: 2);
        Assert.Equal(0, await again.ReconcileAsync(Ct));
        Assert.Null(await (await Store.OpenAsync()).FindAsync(Typed.Tag("ghcr.io/org/b:1"), Ct));
        var moved = await again.ObserveAsync(Seen("ghcr.io/org/b:1", D('9')), Ct);
        Assert.Equal((PinOutcome.Mismatch, 1L), (moved.Outcome, moved.Pin.LogIndex));
        Assert.Equal(8, log.Size);
    }

    [Fact]
    public async Task AReconciledMarkBeyondTheLogsSizeIsNotBelievedAndEveryRowIsCountedAgain()
    {
        var (ledger, log, _) = await OpenAsync();
        await ledger.ObserveAsync(Seen("ghcr.io/org/a:1", D('a')), Ct);
        await ledger.ObserveAsync(Seen("ghcr.io/org/b:1", D('b')), Ct);
        Assert.Equal(1, await Store.DeleteAsync("ghcr.io/org/a:1"));
        await (await Store.OpenAsync()).MarkReconciledAsync(LogIdOf(log), 1_000, replace: true, Ct);

        var (restarted, _, _) = await OpenAsync();
        Assert.Equal(1, await restarted.ReconcileAsync(Ct));
        Assert.Equal(2, await MarkAsync(log));
        Assert.Equal(0L, (await (await Store.OpenAsync()).FindAsync(Typed.Tag("ghcr.io/org/a:1"), Ct))!.LogIndex);

        // Nor one whose entry just below is missing: a store emptied (or cut short) beside its mark.
        Assert.Equal(1, await Store.DeleteAsync("ghcr.io/org/a:1"));
        Assert.Equal(1, await Store.DeleteAsync("ghcr.io/org/b:1"));
        Assert.Equal(2, await MarkAsync(log));
        var (again, _, _) = await OpenAsync();
        Assert.Equal(2, await again.ReconcileAsync(Ct));
        Assert.Equal(2, await Store.CountAsync());
    }

    [Fact]
    public async Task AnEntryTheStoreCannotHoldIsWhereEveryStartReadsFromAndIsReportedAgain()
    {
        var (ledger, log, key) = await OpenAsync();
        await ledger.ObserveAsync(Seen("ghcr.io/org/a:1", D('a')), Ct);
        await AppendBehindTheLedgerAsync(log, key, "ghcr.io/org/a:1", D('b'));
        await ledger.ObserveAsync(Seen("ghcr.io/org/c:1", D('c')), Ct);

        // Read again from the tag's earlier entry, 0, where the later one, 1, left the mark.
        foreach (var _ in new[] { 1, 2 })
        {
            var (restarted, _, _) = await OpenAsync();
            Assert.Equal(0, await restarted.ReconcileAsync(Ct));
            Assert.Single(restarted.Conflicts);
            Assert.Equal(0, await MarkAsync(log));
        }
    }

    [Fact]
    public async Task AStoreRowMovedToATagsLaterEntryBelowTheMarkIsPutBackAtTheNextStart()
    {
        var (ledger, log, key) = await OpenAsync();
        Assert.Equal(0, await ledger.ReconcileAsync(Ct));
        await ledger.ObserveAsync(Seen("ghcr.io/org/z:1", D('e')), Ct);
        await ledger.ObserveAsync(Seen("ghcr.io/org/a:1", D('a')), Ct);
        await ledger.ObserveAsync(Seen("ghcr.io/org/y:1", D('e')), Ct);
        await AppendBehindTheLedgerAsync(log, key, "ghcr.io/org/a:1", D('b'));
        await ledger.ObserveAsync(Seen("ghcr.io/org/c:1", D('c')), Ct);

        var (restarted, _, _) = await OpenAsync();
        Assert.Equal(0, await restarted.ReconcileAsync(Ct));
        Assert.Single(restarted.Conflicts);
        Assert.Equal(1, await MarkAsync(log));

        // The store's writer moves a:1's row to its later entry (3), whose bundle is genuine;
        // the row just below the mark stays, so the mark is believed.
        Assert.Equal(1, await Store.DeleteAsync("ghcr.io/org/a:1"));
        var (editor, _, _) = await OpenAsync();
        Assert.Equal(1, await editor.RebuildAsync(3, null, Ct));
        Assert.Equal(3L, (await (await Store.OpenAsync()).FindAsync(Typed.Tag("ghcr.io/org/a:1"), Ct))!.LogIndex);

        var (again, _, _) = await OpenAsync();
        Assert.Equal(1, await again.ReconcileAsync(Ct));
        var pin = (await (await Store.OpenAsync()).FindAsync(Typed.Tag("ghcr.io/org/a:1"), Ct))!;
        Assert.Equal((1L, D('a')), (pin.LogIndex, pin.Digest.ToString()));
    }

    [Fact]
    public async Task ASecondValidSightingWithAnotherDigestIsReportedAndTheStoredPinStays()
    {
        var (ledger, log, key) = await OpenAsync();
        await ledger.ObserveAsync(Seen("ghcr.io/org/a:1", D('a')), Ct);
        await AppendBehindTheLedgerAsync(log, key, "ghcr.io/org/a:1", D('b'));

        var (restarted, _, _) = await OpenAsync();
        Assert.Equal(0, await restarted.RebuildAsync(0, null, Ct));
        var conflict = Assert.Single(restarted.Conflicts);
        Assert.Contains("log index 0 says " + D('a'), conflict, StringComparison.Ordinal);
        Assert.Contains("log index 1 says " + D('b'), conflict, StringComparison.Ordinal);
        Assert.Equal(D('a'), (await restarted.FindPinAsync(Typed.Tag("ghcr.io/org/a:1"), Ct))!.Digest.ToString());
    }

    [Fact]
    public async Task AnIndexWriteLostBelowALaterOneIsIndexedAgainAtStart()
    {
        var (ledger, log, key) = await OpenAsync();

        // Two first sightings in flight: a's append is entry 0, b's is entry 1, b's index
        // write lands first, and the process dies before a's.
        await AppendBehindTheLedgerAsync(log, key, "ghcr.io/org/a:1", D('a'));
        await ledger.ObserveAsync(Seen("ghcr.io/org/b:1", D('b')), Ct);

        var (restarted, _, _) = await OpenAsync();
        Assert.Equal(1, await restarted.ReconcileAsync(Ct));
        Assert.Equal(0, await restarted.ReconcileAsync(Ct));
        var decision = await restarted.ObserveAsync(Seen("ghcr.io/org/a:1", D('c')), Ct);
        Assert.Equal(PinOutcome.Mismatch, decision.Outcome);
        Assert.Equal(0, decision.Pin.LogIndex);
        Assert.Equal(2, log.Size);
    }

    [Fact]
    public async Task AFailedIndexWriteAfterTheLogAppendIsNeverAcknowledgedAndTheEntryIsIndexedAtRestart()
    {
        var (ledger, log, _) = await OpenAsync();
        await ledger.ObserveAsync(Seen("ghcr.io/org/warm:1", D('c')), Ct);
        await Store.RefuseWritesAsync();

        // No pin lives in memory only: the first sighting is not acknowledged while the store refuses it.
        await Assert.ThrowsAsync<LedgerUnavailableException>(() => ledger.ObserveAsync(Seen("ghcr.io/org/app:v3", D('a')), Ct));
        Assert.Null(await (await Store.OpenAsync()).FindAsync(Typed.Tag("ghcr.io/org/app:v3"), Ct));

        // Nor later: no second entry for the tag, and no answer until the store takes it.
        await Assert.ThrowsAsync<LedgerUnavailableException>(() => ledger.ObserveAsync(Seen("ghcr.io/org/app:v3", D('b')), Ct));
        Assert.Equal(2, log.Size);

        await Store.AllowWritesAsync();
        var (restarted, _, _) = await OpenAsync();
        Assert.Equal(1, await restarted.ReconcileAsync(Ct));
        var pin = (await restarted.FindPinAsync(Typed.Tag("ghcr.io/org/app:v3"), Ct))!;
        Assert.Equal((1L, D('a')), (pin.LogIndex, pin.Digest.ToString()));
    }

    [Fact]
    public async Task AnUnreachableIndexIsAnOutageNotANewPin()
    {
        var (ledger, log, _) = await OpenAsync();
        await ledger.ObserveAsync(Seen("ghcr.io/org/app:v4", D('a')), Ct);
        await Store.BreakAsync();

        // A pin already verified still decides; a tag with no cached pin cannot be checked, so nothing is logged.
        Assert.Equal(PinOutcome.Mismatch, (await ledger.ObserveAsync(Seen("ghcr.io/org/app:v4", D('b')), Ct)).Outcome);
        await Assert.ThrowsAsync<LedgerUnavailableException>(() => ledger.ObserveAsync(Seen("ghcr.io/org/new:1", D('b')), Ct));
        Assert.Equal(1, log.Size);
    }

    [Fact]
    public async Task AnIndexRowWhoseEnvelopeIsNotOursFailsClosed()
    {
        var (ledger, _, _) = await OpenAsync();
        await ledger.ObserveAsync(Seen("ghcr.io/org/app:v5", D('a')), Ct);
        await Store.SetBundlesAsync("{\"mediaType\":\"x\"}");

        var (restarted, _, _) = await OpenAsync();
        await Assert.ThrowsAsync<LedgerIntegrityException>(() => restarted.ObserveAsync(Seen("ghcr.io/org/app:v5", D('a')), Ct));
    }

    [Fact]
    public async Task AnIndexRowEditedBehindTheLogsBackFailsClosed()
    {
        var (ledger, _, _) = await OpenAsync();
        await ledger.ObserveAsync(Seen("ghcr.io/org/app:v2", D('a')), Ct);

        Assert.Equal(1, await Store.SetDigestsAsync(D('b')));

        var (restarted, _, _) = await OpenAsync();
        await Assert.ThrowsAsync<LedgerIntegrityException>(() => restarted.ObserveAsync(Seen("ghcr.io/org/app:v2", D('b')), Ct));
    }

    [Fact]
    public async Task ARowVerifiedOnceIsServedFromItsDigestUntilItIsEditedThenFailsClosedInTheSameProcess()
    {
        // No pin is held in full: every pull reads the store, as most do in a store of millions of tags.
        var verified = new VerifiedPins(capacityBytes: 0);
        var (ledger, _, _) = await OpenAsync(verified);
        var tag = Typed.Tag("ghcr.io/org/app:v7");
        await ledger.ObserveAsync(Seen("ghcr.io/org/app:v7", D('a')), Ct);
        Assert.Equal(PinOutcome.Match, (await ledger.ObserveAsync(Seen("ghcr.io/org/app:v7", D('a')), Ct)).Outcome);
        var row = (await (await Store.OpenAsync()).FindStoredAsync(tag, Ct))!;
        Assert.True(verified.Rows.TryGet(tag, row.Content, out var logTime));
        var again = await ledger.ObserveAsync(Seen("ghcr.io/org/app:v7", D('a')), Ct);
        Assert.Equal((PinOutcome.Match, logTime), (again.Outcome, again.Pin.LogTime));

        // Edited behind the log's back while the process runs: another row, verified in full, refused.
        Assert.Equal(1, await Store.SetDigestsAsync(D('b')));
        await Assert.ThrowsAsync<LedgerIntegrityException>(() => ledger.ObserveAsync(Seen("ghcr.io/org/app:v7", D('b')), Ct));
        await Store.SetBundlesAsync("{\"mediaType\":\"x\"}");
        await Assert.ThrowsAsync<LedgerIntegrityException>(() => ledger.ObserveAsync(Seen("ghcr.io/org/app:v7", D('a')), Ct));
    }

    [Fact]
    public async Task ARowStampedWhenPinnedIsTrustedByTheNextProcessWithoutVerifyingItAgain()
    {
        var (ledger, _, _) = await OpenAsync();
        await ledger.ObserveAsync(Seen("ghcr.io/org/app:s1", D('a')), Ct);
        var first = await ledger.ObserveAsync(Seen("ghcr.io/org/app:s1", D('a')), Ct);
        Assert.NotNull((await RowAsync("ghcr.io/org/app:s1")).Stamp);

        var (restarted, _, _) = await OpenAsync();
        var again = await restarted.ObserveAsync(Seen("ghcr.io/org/app:s1", D('a')), Ct);
        Assert.Equal((PinOutcome.Match, first.Pin.LogTime, first.Pin.LogIndex), (again.Outcome, again.Pin.LogTime, again.Pin.LogIndex));
        Assert.Equal((1L, 0L), (restarted.StoredPinsTrustedByStamp, restarted.StoredPinsVerifiedInFull));
        Assert.Equal(PinOutcome.Mismatch, (await restarted.ObserveAsync(Seen("ghcr.io/org/app:s1", D('b')), Ct)).Outcome);
    }

    [Fact]
    public async Task AStampedRowEditedInAnyWayIsVerifiedInFullAndFailsClosed()
    {
        var (ledger, _, _) = await OpenAsync();
        await ledger.ObserveAsync(Seen("ghcr.io/org/app:e1", D('a')), Ct);
        await ledger.ObserveAsync(Seen("ghcr.io/org/app:e2", D('c')), Ct);
        var e1 = await RowAsync("ghcr.io/org/app:e1");
        var e2 = await RowAsync("ghcr.io/org/app:e2");

        // A stamp moved to another row (another tag's valid stamp) vouches for nothing there.
        await (await Store.OpenAsync()).StampAsync([(Typed.Tag("ghcr.io/org/app:e2"), e1.Stamp!)], Ct);
        var (moved, _, _) = await OpenAsync();
        Assert.Equal(PinOutcome.Match, (await moved.ObserveAsync(Seen("ghcr.io/org/app:e2", D('c')), Ct)).Outcome);
        Assert.Equal((0L, 1L), (moved.StoredPinsTrustedByStamp, moved.StoredPinsVerifiedInFull));

        // The digest column edited under a valid stamp: verified in full, refused.
        Assert.Equal(2, await Store.SetDigestsAsync(D('b')));
        var (edited, _, _) = await OpenAsync();
        await Assert.ThrowsAsync<LedgerIntegrityException>(() => edited.ObserveAsync(Seen("ghcr.io/org/app:e1", D('b')), Ct));
        Assert.Equal((0L, 1L), (edited.StoredPinsTrustedByStamp, edited.StoredPinsVerifiedInFull));

        // A stamp forged by flipping one bit of a valid one.
        var forged = (byte[])e2.Stamp!.Clone();
        forged[^1] ^= 1;
        var (restarted, _, _) = await OpenAsync();
        await (await Store.OpenAsync()).StampAsync([(Typed.Tag("ghcr.io/org/app:e2"), forged)], Ct);
        await Assert.ThrowsAsync<LedgerIntegrityException>(() => restarted.ObserveAsync(Seen("ghcr.io/org/app:e2", D('b')), Ct));
        Assert.Equal(0L, restarted.StoredPinsTrustedByStamp);
    }

    [Fact]
    public async Task AChangedSignerPolicyVerifiesEveryStampedRowAgainAndStampsItUnderTheNewTerms()
    {
        var (ledger, _, _) = await OpenAsync();
        await ledger.ObserveAsync(Seen("ghcr.io/org/app:p1", D('a')), Ct);
        var stamped = (await RowAsync("ghcr.io/org/app:p1")).Stamp;

        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var (widened, _, _) = await OpenAsync(alsoTrusted: [other.ExportSubjectPublicKeyInfo()]);
        Assert.Equal(PinOutcome.Match, (await widened.ObserveAsync(Seen("ghcr.io/org/app:p1", D('a')), Ct)).Outcome);
        Assert.Equal((0L, 1L), (widened.StoredPinsTrustedByStamp, widened.StoredPinsVerifiedInFull));

        // Verified in full once under the new terms, the row carries a stamp for them.
        await RestampedAsync("ghcr.io/org/app:p1", stamped);
        var (next, _, _) = await OpenAsync(alsoTrusted: [other.ExportSubjectPublicKeyInfo()]);
        Assert.Equal(PinOutcome.Match, (await next.ObserveAsync(Seen("ghcr.io/org/app:p1", D('a')), Ct)).Outcome);
        Assert.Equal((1L, 0L), (next.StoredPinsTrustedByStamp, next.StoredPinsVerifiedInFull));

        // Back to the old terms: that stamp is not theirs either.
        var (narrowed, _, _) = await OpenAsync();
        Assert.Equal(PinOutcome.Match, (await narrowed.ObserveAsync(Seen("ghcr.io/org/app:p1", D('a')), Ct)).Outcome);
        Assert.Equal((0L, 1L), (narrowed.StoredPinsTrustedByStamp, narrowed.StoredPinsVerifiedInFull));
    }

    [Fact]
    public async Task AStampByAnotherKeyIsNeitherTrustedNorWrittenOver()
    {
        var (ledger, _, _) = await OpenAsync();
        await ledger.ObserveAsync(Seen("ghcr.io/org/app:k1", D('a')), Ct);
        var stamped = (await RowAsync("ghcr.io/org/app:k1")).Stamp;

        var (stranger, _, _) = await OpenAsync(stampKey: StampKey.LoadOrCreate(_dir.Combine("other-stamp-key")));
        Assert.Equal(PinOutcome.Match, (await stranger.ObserveAsync(Seen("ghcr.io/org/app:k1", D('a')), Ct)).Outcome);
        Assert.Equal((0L, 1L), (stranger.StoredPinsTrustedByStamp, stranger.StoredPinsVerifiedInFull));

        // Had it been written over, the owner would have to verify in full again.
        await Task.Delay(300, Ct);
        Assert.Equal(stamped, (await RowAsync("ghcr.io/org/app:k1")).Stamp);
        var (owner, _, _) = await OpenAsync();
        await owner.ObserveAsync(Seen("ghcr.io/org/app:k1", D('a')), Ct);
        Assert.Equal((1L, 0L), (owner.StoredPinsTrustedByStamp, owner.StoredPinsVerifiedInFull));
    }

    [Fact]
    public async Task AStampMadeBeforeATrustedKeysValidityEndedIsCheckedAgainAfterIt()
    {
        var t0 = DateTimeOffset.UtcNow;
        var clock = new ManualTimeProvider(t0);
        var until = t0.AddHours(1);
        var (ledger, _, _) = await OpenAsync(time: clock, logValidUntil: until);
        await ledger.ObserveAsync(Seen("ghcr.io/org/app:w1", D('a')), Ct);
        var stamped = (await RowAsync("ghcr.io/org/app:w1")).Stamp;

        // Before the end: trusted by its stamp.
        clock.Advance(TimeSpan.FromMinutes(30));
        var (before, _, _) = await OpenAsync(time: clock, logValidUntil: until);
        await before.ObserveAsync(Seen("ghcr.io/org/app:w1", D('a')), Ct);
        Assert.Equal((1L, 0L), (before.StoredPinsTrustedByStamp, before.StoredPinsVerifiedInFull));

        // Past it: verified in full (the log's signed time still falls inside the window), then stamped anew.
        clock.Advance(TimeSpan.FromHours(1));
        var (after, _, _) = await OpenAsync(time: clock, logValidUntil: until);
        Assert.Equal(PinOutcome.Match, (await after.ObserveAsync(Seen("ghcr.io/org/app:w1", D('a')), Ct)).Outcome);
        Assert.Equal((0L, 1L), (after.StoredPinsTrustedByStamp, after.StoredPinsVerifiedInFull));
        await RestampedAsync("ghcr.io/org/app:w1", stamped);
        var (later, _, _) = await OpenAsync(time: clock, logValidUntil: until);
        await later.ObserveAsync(Seen("ghcr.io/org/app:w1", D('a')), Ct);
        Assert.Equal((1L, 0L), (later.StoredPinsTrustedByStamp, later.StoredPinsVerifiedInFull));
    }

    [Fact]
    public async Task ADeletedIndexRowIsFoundInTheLogSoAMovedTagIsRefusedAndTheRowRestored()
    {
        var (ledger, log, _) = await OpenAsync();
        await ledger.ObserveAsync(Seen("ghcr.io/org/app:v1", D('a')), Ct);
        Assert.Equal(1, await Store.DeleteAsync("ghcr.io/org/app:v1"));

        // A restart: nothing cached, the store knows nothing of the tag, the log does.
        var (restarted, _, _) = await OpenAsync();
        var moved = await restarted.ObserveAsync(Seen("ghcr.io/org/app:v1", D('b')), Ct);
        Assert.Equal(PinOutcome.Mismatch, moved.Outcome);
        Assert.Equal((D('a'), 0L), (moved.Pin.Digest.ToString(), moved.Pin.LogIndex));
        Assert.Equal(1, log.Size);
        var restored = await (await Store.OpenAsync()).FindAsync(Typed.Tag("ghcr.io/org/app:v1"), Ct);
        Assert.Equal((D('a'), 0L), (restored!.Digest.ToString(), restored.LogIndex));
    }

    [Fact]
    public async Task TheEarlierSightingInTheLogReplacesALaterOneTheStoreHolds()
    {
        var (_, log, key) = await OpenAsync();
        await AppendBehindTheLedgerAsync(log, key, "ghcr.io/org/a:1", D('a'));
        await AppendBehindTheLedgerAsync(log, key, "ghcr.io/org/a:1", D('b'));

        // The store took the later sighting (its row for the first was lost).
        var (ledger, _, _) = await OpenAsync();
        Assert.Equal(1, await ledger.RebuildAsync(1, null, Ct));
        Assert.Equal(D('b'), (await (await Store.OpenAsync()).FindAsync(Typed.Tag("ghcr.io/org/a:1"), Ct))!.Digest.ToString());

        var (restarted, _, _) = await OpenAsync();
        Assert.Equal(1, await restarted.ReconcileAsync(Ct));
        var conflict = Assert.Single(restarted.Conflicts);
        Assert.Contains("log index 0 says " + D('a'), conflict, StringComparison.Ordinal);
        Assert.Contains("log index 1 says " + D('b'), conflict, StringComparison.Ordinal);
        var stored = await (await Store.OpenAsync()).FindAsync(Typed.Tag("ghcr.io/org/a:1"), Ct);
        Assert.Equal((D('a'), 0L), (stored!.Digest.ToString(), stored.LogIndex));
        Assert.Equal(1, await Store.CountAsync());
        Assert.Equal(PinOutcome.Mismatch, (await restarted.ObserveAsync(Seen("ghcr.io/org/a:1", D('b')), Ct)).Outcome);
    }

    [Fact]
    public async Task ALogThatGrewFromTheRememberedCheckpointIsAcceptedAndRemembered()
    {
        var (ledger, log, _) = await OpenAsync();
        await ledger.ObserveAsync(Seen("ghcr.io/org/a:1", D('a')), Ct);
        Assert.Equal(1, (await (await Store.OpenAsync()).RememberedCheckpointAsync(LogIdentity.Of(log.Trusted), Ct))!.Size);
        await ledger.ObserveAsync(Seen("ghcr.io/org/b:1", D('b')), Ct);
        await ledger.ObserveAsync(Seen("ghcr.io/org/c:1", D('c')), Ct);

        await (await HistoryAsync(log)).CheckAtStartAsync(Ct);
        var remembered = await (await Store.OpenAsync()).RememberedCheckpointAsync(LogIdentity.Of(log.Trusted), Ct);
        Assert.Equal(3, remembered!.Size);
        Assert.Equal(log.LatestCheckpoint.Checkpoint.RootHash, remembered.RootHash);
    }

    [Fact]
    public async Task ALogRolledBackBelowTheRememberedCheckpointStopsTheStartNamingBothSizes()
    {
        var (ledger, log, _) = await OpenAsync();
        await ledger.ObserveAsync(Seen("ghcr.io/org/a:1", D('a')), Ct);
        await ledger.ObserveAsync(Seen("ghcr.io/org/b:1", D('b')), Ct);
        log.Dispose();
        _open.Remove(log);
        RollBackLog();

        var (_, empty, _) = await OpenAsync();
        Assert.Equal(0, empty.Size);
        var refused = await Assert.ThrowsAsync<InvalidDataException>(async () => await (await HistoryAsync(empty)).CheckAtStartAsync(Ct));
        Assert.Contains("remembers (size 2", refused.Message, StringComparison.Ordinal);
        Assert.Contains("now at size 0", refused.Message, StringComparison.Ordinal);
        Assert.Contains("accept-log", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ALogReplacedByAnotherHistoryOfTheSameSizeOrLargerIsRefused()
    {
        var (ledger, log, key) = await OpenAsync();
        await ledger.ObserveAsync(Seen("ghcr.io/org/a:1", D('a')), Ct);
        log.Dispose();
        _open.Remove(log);
        RollBackLog();

        // Grown again past the remembered size, under the same key and origin, with other entries.
        var (_, forked, _) = await OpenAsync();
        await AppendBehindTheLedgerAsync(forked, key, "ghcr.io/org/a:1", D('b'));
        var same = await Assert.ThrowsAsync<InvalidDataException>(async () => await (await HistoryAsync(forked)).CheckAtStartAsync(Ct));
        Assert.Contains("forked", same.Message, StringComparison.Ordinal);
        await AppendBehindTheLedgerAsync(forked, key, "ghcr.io/org/z:1", D('c'));
        var larger = await Assert.ThrowsAsync<InvalidDataException>(async () => await (await HistoryAsync(forked)).CheckAtStartAsync(Ct));
        Assert.Contains("not consistent", larger.Message, StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var d in _open)
        {
            d.Dispose();
        }

        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        _dir.Dispose();
    }

    private protected abstract Task<TestStore> CreateStoreAsync();

    private static string LogIdOf(EmbeddedLog log) => Convert.ToHexStringLower(log.Trusted.LogId);

    /// <summary>The store's reconciled mark of the embedded log.</summary>
    private async Task<long> MarkAsync(EmbeddedLog log) => await (await Store.OpenAsync()).ReconciledThroughAsync(LogIdOf(log), Ct);

    /// <summary>Logs a sighting of ours without the ledger, as a process that died before its store write would have.</summary>
    private static async Task AppendBehindTheLedgerAsync(EmbeddedLog log, InstanceKey key, string reference, string digest)
    {
        var claim = new SightingClaim(Typed.Tag(reference), Typed.Digest(digest), "application/vnd.oci.image.manifest.v1+json", DateTimeOffset.UtcNow, "http://upstream.test", key.Identity);
        await new EmbeddedSightingLog(log, TimeProvider.System).AppendAsync(key.SignEnvelope(Dsse.InTotoPayloadType, SightingStatement.Encode(claim)), SignerMaterial.ForKey(key.PublicKeyDer), Ct);
    }

    /// <summary>
    /// A ledger as a process starting on the data directory and the store would build it, stamping
    /// verified rows with the key derived from the signing key, as the service does.
    /// </summary>
    /// <param name="stampKey">Another stamp key (a replica with a key of its own).</param>
    /// <param name="alsoTrusted">Keys trusted beside the signing key (another signer policy).</param>
    /// <param name="logValidUntil">When the embedded log's key stops being trusted.</param>
    /// <param name="markStep">How often the reconciled mark is written.</param>
    private async Task<(TagLedger Ledger, EmbeddedLog Log, InstanceKey Key)> OpenAsync(VerifiedPins? verified = null, StampKey? stampKey = null, IReadOnlyList<byte[]>? alsoTrusted = null, TimeProvider? time = null, DateTimeOffset? logValidUntil = null, int markStep = ReconciledMark.Step)
    {
        var key = InstanceKey.LoadOrCreate(_dir.Combine("signing-key.pem"));
        var log = EmbeddedLog.Open(_dir.Combine("log"), NullLogger.Instance, EmbeddedEntry.Subject);
        _open.Add(key);
        _open.Add(log);
        time ??= TimeProvider.System;
        var trusted = logValidUntil is { } until ? log.Trusted with { ValidUntil = until } : log.Trusted;
        var reader = new SightingReader(new BundleVerifier(TrustedRoot.PublicGood.WithLogs([trusted])), new KeyPolicy([key.PublicKeyDer, .. alsoTrusted ?? []]), key.Identity, SignerMaterial.ForKey(key.PublicKeyDer), time);
        var index = await Store.OpenAsync();
        var history = new LogHistory(index, new EmbeddedCheckpoints(log), log.Trusted, NullLogger<LogHistory>.Instance);
        var ledger = new TagLedger(index, new EmbeddedSightingLog(log, TimeProvider.System), key, reader, time, NullLogger<TagLedger>.Instance, history: history, verified: verified, stampKey: stampKey ?? StampKey.From(key), markStep: markStep);
        return (ledger, log, key);
    }

    /// <summary>The tag's row as the store holds it.</summary>
    private async Task<StoredPin> RowAsync(string reference) =>
        (await (await Store.OpenAsync()).FindStoredAsync(Typed.Tag(reference), Ct))!;

    /// <summary>Waits for the background stamp writer to put a stamp other than <paramref name="before"/> on the tag's row.</summary>
    private async Task<byte[]> RestampedAsync(string reference, byte[]? before)
    {
        for (var i = 0; i < 200; i++)
        {
            if ((await RowAsync(reference)).Stamp is { } now && (before is null || !now.AsSpan().SequenceEqual(before)))
            {
                return now;
            }

            await Task.Delay(25, Ct);
        }

        throw new TimeoutException($"no new stamp on {reference}");
    }

    /// <summary>The checkpoint memory a start checks, over a fresh store instance.</summary>
    private async Task<LogHistory> HistoryAsync(EmbeddedLog log) =>
        new(await Store.OpenAsync(), new EmbeddedCheckpoints(log), log.Trusted, NullLogger<LogHistory>.Instance);

    /// <summary>Removes the log's checkpoint and tiles, keeping its key: the log starts again empty under the same origin.</summary>
    private void RollBackLog()
    {
        File.Delete(_dir.Combine("log", "checkpoint"));
        Directory.Delete(_dir.Combine("log", "tile"), recursive: true);
    }
}

public sealed class SqliteTagLedgerTests : TagLedgerTests
{
    private protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());
}

public sealed class PostgresTagLedgerTests : TagLedgerTests
{
    private protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();
}
