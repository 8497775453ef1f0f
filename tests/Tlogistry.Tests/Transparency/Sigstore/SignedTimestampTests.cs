using Tlogistry.Client;
using Tlogistry.Client.Verify;
using Tlogistry.Tests.Transparency.Sigstore.Identity;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Tests.Transparency.Sigstore;

/// <summary>
/// RFC 3161 timestamps of the real public-good Rekor v2 bundles (timestamp.sigstore.dev),
/// verified against the fixture trusted root, date the signature where the log states no
/// time; every way a token can lie is refused with the reason.
/// </summary>
public sealed class SignedTimestampTests
{
    private const string TimestampCheck = "timestamp check failed";

    public static readonly TheoryData<string, string> Stamped = new()
    {
        { "rekor-v2-dsse", "2025-12-11T19:36:08Z" },
        { "rekor-v2-hashedrekord", "2025-12-14T02:04:50Z" },
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Stamped))]
    public void RealTimestampDatesTheV2Signature(string name, string time)
    {
        var bundle = SigstoreFixtures.Bundle(name);

        var verified = new BundleVerifier(SigstoreFixtures.Root()).Verify(bundle, BundleSigner.AnyCertificate, SigstoreFixtures.Now);

        Assert.Null(verified.IntegratedTime);
        Assert.Equal([FulcioLeaf.Time(time)], verified.TimestampTimes);
        Assert.Equal(verified.TimestampTimes, verified.VerifiedTimes);
    }

    [Theory]
    [MemberData(nameof(Stamped))]
    public void KeylessCertificateChecksAtTheTimestampsTime(string name, string time)
    {
        var leaf = FulcioLeaf.Get(name);
        var verified = new BundleVerifier(SigstoreFixtures.Root()).Verify(leaf.Bundle(), BundleSigner.AnyCertificate, SigstoreFixtures.Now);
        var policy = new CertificatePolicy(SigstoreFixtures.Root(), CertificateIdentity.Parse(leaf.San), leaf.Issuer);

        policy.Check(verified, Assert.Single(verified.VerifiedTimes));

        // The same certificate an hour later has expired: the time is what makes it pass.
        var later = FulcioLeaf.Time(time).AddHours(1);
        Assert.Contains("certificate validity check failed", Assert.Throws<LogVerificationException>(() => policy.Check(verified, later)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyCommandDatesTheRealV2BundleByItsTimestamp()
    {
        // The bundle is a real keyless Rekor v2 signature, not a sighting: the command now gets
        // past the time check (which refused it for lack of an integrated time) and the signer
        // policy, and stops only where a sighting's content is read.
        var leaf = FulcioLeaf.Get("rekor-v2-dsse");
        var trust = new TrustFlags(SigstoreFixtures.Path("trusted_root.json"), [], leaf.San, leaf.Issuer);
        var request = new VerifyRequest("example.test/app:v1", null, SigstoreFixtures.Path("rekor-v2-dsse-bundle.sigstore.json"), new Uri("http://127.0.0.1:9"), trust, null, null);

        var e = await Assert.ThrowsAsync<ClientException>(() => TagVerification.RunAsync(request, Ct));

        Assert.Contains("is not a sighting by the expected signer: envelope payload type is text/plain", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("time check", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TimestampOverAnotherSignatureIsRefused()
    {
        var dsse = SigstoreFixtures.Bundle("rekor-v2-dsse");
        var other = SigstoreFixtures.Bundle("rekor-v2-hashedrekord").Material.Rfc3161Timestamps[0];
        var swapped = dsse with { Material = dsse.Material with { Rfc3161Timestamps = [other] } };

        var message = Reject(swapped, SigstoreFixtures.Root());

        Assert.Contains(TimestampCheck, message, StringComparison.Ordinal);
        Assert.Contains("message imprint is not the hash of this signature", message, StringComparison.Ordinal);
    }

    [Fact]
    public void TimestampFromAnAuthorityOutsideTheRootIsRefused()
    {
        // The root names an authority, but not timestamp.sigstore.dev: Fulcio's chain in its place.
        var root = SigstoreFixtures.Root();
        var stranger = new TrustedRoot(root.Logs, root.CertificateAuthorities, root.CtLogs, [root.CertificateAuthorities[1]]);

        var message = Reject(SigstoreFixtures.Bundle("rekor-v2-dsse"), stranger);

        Assert.Contains("no trusted timestamp authority issued it", message, StringComparison.Ordinal);
    }

    [Fact]
    public void TimestampOutsideTheAuthoritysWindowIsRefused()
    {
        var root = SigstoreFixtures.Root();
        var tsa = root.TimestampAuthorities[0];
        var late = new TrustedRoot(root.Logs, root.CertificateAuthorities, root.CtLogs, [tsa with { ValidFrom = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) }]);
        var early = new TrustedRoot(root.Logs, root.CertificateAuthorities, root.CtLogs, [tsa with { ValidUntil = new DateTimeOffset(2025, 12, 1, 0, 0, 0, TimeSpan.Zero) }]);

        Assert.Contains("is outside its validity", Reject(SigstoreFixtures.Bundle("rekor-v2-dsse"), late), StringComparison.Ordinal);
        Assert.Contains("is outside its validity", Reject(SigstoreFixtures.Bundle("rekor-v2-dsse"), early), StringComparison.Ordinal);
    }

    [Fact]
    public void TimestampOutsideTheLogKeysWindowIsRefused()
    {
        var root = SigstoreFixtures.Root();
        var logs = root.Logs.Select(l => l with { ValidUntil = new DateTimeOffset(2025, 12, 1, 0, 0, 0, TimeSpan.Zero) });
        var retired = new TrustedRoot(logs, root.CertificateAuthorities, root.CtLogs, root.TimestampAuthorities);

        var e = Assert.Throws<LogVerificationException>(() => new BundleVerifier(retired).Verify(SigstoreFixtures.Bundle("rekor-v2-dsse"), BundleSigner.AnyCertificate, new DateTimeOffset(2025, 11, 1, 0, 0, 0, TimeSpan.Zero)));

        Assert.Contains("timestamp 0's time 2025-12-11 19:36:08Z is outside the log key's validity", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TamperedTokenIsRefused()
    {
        var bundle = SigstoreFixtures.Bundle("rekor-v2-dsse");
        var token = bundle.Material.Rfc3161Timestamps[0];

        // The last bytes are the token's signature.
        var flipped = bundle with { Material = bundle.Material with { Rfc3161Timestamps = [SigstoreFixtures.Flip(token, token.Length - 3)] } };

        Assert.Contains("signature does not verify", Reject(flipped, SigstoreFixtures.Root()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("MAMCAQI=")]
    public void GarbageTokenIsRefused(string base64)
    {
        var bundle = SigstoreFixtures.Bundle("rekor-v2-dsse");
        var bytes = base64 == "garbage" ? "garbage"u8.ToArray() : Convert.FromBase64String(base64);

        var message = Reject(bundle with { Material = bundle.Material with { Rfc3161Timestamps = [bytes] } }, SigstoreFixtures.Root());

        Assert.Contains(TimestampCheck, message, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusedResponseIsNamed()
    {
        // TimeStampResp with status 2 (rejection) and no token.
        var e = Assert.Throws<FormatException>(() => SignedTimestamp.Decode(Convert.FromBase64String("MAUwAwIBAg==")));

        Assert.Contains("refused the request (status 2)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RootWithoutAuthoritiesLeavesAKeylessV2BundleUndated()
    {
        var root = SigstoreFixtures.Root();
        var bare = new TrustedRoot(root.Logs, root.CertificateAuthorities, root.CtLogs);

        var verified = new BundleVerifier(bare).Verify(SigstoreFixtures.Bundle("rekor-v2-dsse"), BundleSigner.AnyCertificate, SigstoreFixtures.Now);

        Assert.Empty(verified.VerifiedTimes);
    }

    private static string Reject(SigstoreBundle bundle, TrustedRoot root) =>
        Assert.Throws<LogVerificationException>(() => new BundleVerifier(root).Verify(bundle, BundleSigner.AnyCertificate, SigstoreFixtures.Now)).Message;
}
