using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Ledger;
using Tlogistry.Signing;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Envelopes;

namespace Tlogistry.Tests.Transparency.Embedded;

/// <summary>The embedded log answers an envelope it holds already with that entry: one request sent twice makes one entry.</summary>
public sealed class EmbeddedSightingLogDedupeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheSameEnvelopeTwiceIsOneEntryAndANewSignatureOfTheSameClaimIsAnother()
    {
        using var dir = new TempDirectory();
        using var key = InstanceKey.LoadOrCreate(dir.Combine("signing-key.pem"));
        var claim = new SightingClaim(Typed.Tag("ghcr.io/org/app:v1"), Typed.Digest("sha256:" + new string('a', 64)), "m", DateTimeOffset.UtcNow, "u", key.Identity);
        var signer = SignerMaterial.ForKey(key.PublicKeyDer);
        var envelope = key.SignEnvelope(Dsse.InTotoPayloadType, SightingStatement.Encode(claim));
        var time = new ManualTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20000));

        using (var embedded = EmbeddedLog.Open(dir.Combine("log"), NullLogger.Instance, EmbeddedEntry.Subject))
        {
            var log = new EmbeddedSightingLog(embedded, time);
            var first = await log.AppendAsync(envelope, signer, Ct);
            time.Advance(TimeSpan.FromMinutes(5));
            var again = await log.AppendAsync(envelope, signer, Ct);
            Assert.Equal(first.LogIndex, again.LogIndex);
            Assert.Equal(first.CanonicalizedBody, again.CanonicalizedBody);
            Assert.Equal(1, embedded.Size);

            // ECDSA signatures are randomised: signing the same claim again is a new request, and a new entry.
            var resigned = await log.AppendAsync(key.SignEnvelope(Dsse.InTotoPayloadType, SightingStatement.Encode(claim)), signer, Ct);
            Assert.Equal(1, resigned.LogIndex);
        }

        // After a restart the subject index is rebuilt from the leaves and still finds it.
        using var reopened = EmbeddedLog.Open(dir.Combine("log"), NullLogger.Instance, EmbeddedEntry.Subject);
        Assert.Equal(0, (await new EmbeddedSightingLog(reopened, time).AppendAsync(envelope, signer, Ct)).LogIndex);
        Assert.Equal(2, reopened.Size);
    }
}
