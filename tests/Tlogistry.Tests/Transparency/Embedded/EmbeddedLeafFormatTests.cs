using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Ledger;
using Tlogistry.Signing;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Transparency.Embedded;

/// <summary>
/// New leaves are dsse 0.0.1 bodies whose envelopes live in records beside the log; a log of
/// the earlier tlogistry/sighting leaves stays readable, and both kinds verify and rebuild.
/// </summary>
public sealed class EmbeddedLeafFormatTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DsseEnvelope Envelope(InstanceKey key, string tag) =>
        key.SignEnvelope(Dsse.InTotoPayloadType, SightingStatement.Encode(new SightingClaim(Typed.Tag("ghcr.io/org/app:" + tag), Typed.Digest("sha256:" + new string('a', 64)), "m", DateTimeOffset.UnixEpoch.AddDays(20000), "u", key.Identity)));

    [Fact]
    public async Task ALogOfEarlierLeavesStaysReadableBesideNewDsseLeaves()
    {
        using var dir = new TempDirectory();
        using var key = InstanceKey.LoadOrCreate(dir.Combine("signing-key.pem"));
        var signer = SignerMaterial.ForKey(key.PublicKeyDer);
        var time = new ManualTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20000));
        var old = Envelope(key, "old");

        // The earlier code path: the whole envelope and its time in the leaf.
        using (var written = EmbeddedLog.Open(dir.Combine("log"), NullLogger.Instance))
        {
            await written.AppendLeafAsync(EmbeddedEntry.Encode(1700000000, old.ToJson()), Ct);
        }

        using var embedded = EmbeddedLog.Open(dir.Combine("log"), NullLogger.Instance, EmbeddedEntry.Subject);
        var log = new EmbeddedSightingLog(embedded, time);
        Assert.Equal(0, (await log.AppendAsync(old, signer, Ct)).LogIndex);
        var added = await log.AppendAsync(Envelope(key, "new"), signer, Ct);
        Assert.Equal((1L, "dsse", "0.0.1"), (added.LogIndex, added.Kind, added.Version));
        Assert.NotNull(added.SignedEntryTimestamp);

        var records = new List<LogRecord>();
        await foreach (var r in log.ReadFromAsync(0, [signer], Ct))
        {
            records.Add(r);
        }

        var verifier = new BundleVerifier(TrustedRoot.PublicGood.WithLogs([embedded.Trusted]));
        Assert.Equal([EmbeddedEntry.Kind, "dsse"], records.Select(r => r.Entry.Kind));
        foreach (var r in records)
        {
            var verified = verifier.Verify(new SigstoreBundle(VerificationMaterial.ForKey("k"), r.Entry, r.Envelope, null), BundleSigner.Key(key.PublicKeyDer), time.GetUtcNow());
            Assert.Equal(r.Entry.IntegratedTime, verified.Entry.IntegratedTime!.Value.ToUnixTimeSeconds());
        }

        // A dsse leaf whose record is gone is a damaged log, not a leaf to skip or guess at.
        File.Delete(Assert.Single(Directory.GetFiles(dir.Combine("log", "envelopes"))));
        await Assert.ThrowsAsync<LogVerificationException>(async () =>
        {
            await foreach (var r in log.ReadFromAsync(1, [signer], Ct))
            {
                Assert.Fail("a leaf without its record was read");
            }
        });
    }
}
