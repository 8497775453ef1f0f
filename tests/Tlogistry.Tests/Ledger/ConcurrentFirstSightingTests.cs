using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Ledger;
using Tlogistry.Signing;
using Tlogistry.Store;
using Tlogistry.Tests.Support.Data;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;
using Xunit;

namespace Tlogistry.Tests.Ledger;

/// <summary>
/// Many first sightings at once through the ledger, over the embedded log and the SQLite store
/// as a service wires them: each tag gets one entry, every pin's proof holds against the
/// log, and a restart finds them all. The rate is written to the test output (set
/// TLOGISTRY_SIGHTINGS to run more); it is a measurement, never asserted.
/// </summary>
public sealed class ConcurrentFirstSightingTests(ITestOutputHelper output)
{
    private const int Clients = 64;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SixtyFourClientsRecordEveryTagOnceAndEachPinProvesItsEntry()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("TLOGISTRY_SIGHTINGS"), out var n) && n > 0 ? n : 512;
        using var dir = new TempDirectory();
        var pins = new Sighting[count];
        long elapsed;
        using (var key = InstanceKey.LoadOrCreate(dir.Combine("signing-key.pem")))
        using (var log = EmbeddedLog.Open(dir.Combine("log"), NullLogger.Instance, EmbeddedEntry.Subject))
        {
            var ledger = Ledger(dir, key, log);
            var next = -1;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(
                async () =>
                {
                    for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
                    {
                        var decision = await ledger.ObserveAsync(Seen(i), Ct);
                        Assert.Equal(PinOutcome.FirstSeen, decision.Outcome);
                        pins[i] = decision.Pin;
                    }
                },
                Ct)));
            elapsed = clock.ElapsedMilliseconds;
            Assert.Equal(count, log.Size);
        }

        output.WriteLine($"{count} first sightings from {Clients} clients in {elapsed} ms: {count * 1000.0 / Math.Max(1, elapsed):F0}/s");
        Assert.Equal(count, pins.Select(p => p.LogIndex).Distinct().Count());

        // After a restart (tiles read lazily, checked against the checkpoint) every pin is found, and its entry proves against the log.
        using var key2 = InstanceKey.LoadOrCreate(dir.Combine("signing-key.pem"));
        using var reopened = EmbeddedLog.Open(dir.Combine("log"), NullLogger.Instance, EmbeddedEntry.Subject);
        var again = Ledger(dir, key2, reopened);
        var root = reopened.LatestCheckpoint.Checkpoint.RootHash;
        foreach (var i in new[] { 0, count / 3, count - 1 })
        {
            var decision = await again.ObserveAsync(Seen(i), Ct);
            Assert.Equal((PinOutcome.Match, pins[i].LogIndex), (decision.Outcome, decision.Pin.LogIndex));
            var leaf = reopened.ReadLeaf(pins[i].LogIndex, reopened.LatestCheckpoint);
            MerkleProof.VerifyInclusion(pins[i].LogIndex, count, Rfc6962.LeafHash(leaf), reopened.InclusionProof(pins[i].LogIndex, count), root);
        }
    }

    private static TagLedger Ledger(TempDirectory dir, InstanceKey key, EmbeddedLog log)
    {
        var reader = new SightingReader(new BundleVerifier(TrustedRoot.PublicGood.WithLogs([log.Trusted])), new KeyPolicy([key.PublicKeyDer]), key.Identity, SignerMaterial.ForKey(key.PublicKeyDer), TimeProvider.System);

        // As a service with the embedded log opens its store: the log keeps every statement, so commits are not fsynced.
        var index = new SqliteSightingIndex(dir.Combine("index.db"), durableCommits: false);
        var history = new LogHistory(index, new EmbeddedCheckpoints(log), log.Trusted, NullLogger<LogHistory>.Instance);
        return new TagLedger(index, new EmbeddedSightingLog(log, TimeProvider.System), key, reader, TimeProvider.System, NullLogger<TagLedger>.Instance, history: history);
    }

    private static Observation Seen(int i) =>
        new(Typed.Tag($"registry.test/org/app:v{i}"), Typed.Digest("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)))), "application/vnd.oci.image.manifest.v1+json", $"http://upstream.test/v2/org/app/manifests/v{i}");
}
