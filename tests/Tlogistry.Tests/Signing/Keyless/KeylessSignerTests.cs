using Tlogistry.Transparency.Sigstore.Identity;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Signing;
using Tlogistry.Signing.Keyless;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Keyless;

public sealed class KeylessSignerTests
{
    private const string Issuer = "https://issuer.example";
    private static readonly HttpClient Http = new();
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("{\"_type\":\"https://in-toto.io/Statement/v1\"}");

    private sealed class CountingTokens(string token) : IIdentityTokenSource
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task<string> GetTokenAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return Task.FromResult(token);
        }
    }

    private static (KeylessSigner Signer, CountingTokens Tokens) Signer(TestFulcio fulcio, TimeProvider time, string token) =>
        Create(fulcio, time, new CountingTokens(token));

    private static (KeylessSigner, CountingTokens) Create(TestFulcio fulcio, TimeProvider time, CountingTokens tokens) =>
        (new KeylessSigner(new FulcioClient(fulcio.BaseUrl, Http), tokens, time, new KeylessSignerOptions(), NullLogger<KeylessSigner>.Instance), tokens);

    private static ManualTimeProvider Clock() => new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task SignaturesVerifyWithTheLeafKeyAndTheLeafChainsToTheRoot()
    {
        var time = Clock();
        await using var fulcio = await TestFulcio.StartAsync(time);
        var (signer, _) = Signer(fulcio, time, TestJwt.Mint(Issuer, "alice-id", "alice@example.com"));
        using var _signer = signer;

        var signed = await signer.SignAsync(Dsse.InTotoPayloadType, Payload, TestContext.Current.CancellationToken);

        Assert.True(EnvelopeVerifier.Verify(signed.Envelope, signed.Signer.PublicKeyDer));
        Assert.Equal(signer.PublicKeyDer, signed.Signer.PublicKeyDer);
        Assert.Equal(2, signed.Signer.Certificates.Count); // leaf and intermediate; the root comes from the trusted root
        Assert.Equal(fulcio.Intermediate.RawData, signed.Signer.Certificates[1]);

        using var leaf = X509CertificateLoader.LoadCertificate(signed.Signer.Certificates[0]);
        Assert.Equal(signed.Signer.PublicKeyDer, leaf.PublicKey.ExportSubjectPublicKeyInfo());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(fulcio.Root);
        chain.ChainPolicy.ExtraStore.Add(X509CertificateLoader.LoadCertificate(signed.Signer.Certificates[1]));
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = time.Now.UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.3"));
        Assert.True(chain.Build(leaf), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }

    [Fact]
    public async Task IdentityComesFromTheCertificate()
    {
        var time = Clock();
        await using var fulcio = await TestFulcio.StartAsync(time);
        var (signer, _) = Signer(fulcio, time, TestJwt.Mint(Issuer, "alice-id", "alice@example.com"));
        using var _signer = signer;
        Assert.Throws<InvalidOperationException>(() => signer.Identity);

        await signer.EnsureCertificateAsync(TestContext.Current.CancellationToken);
        Assert.Equal("email:alice@example.com;issuer=https://issuer.example", signer.Identity);
        Assert.Equal(new CertificateIdentity(SanKind.Email, "alice@example.com"), signer.Certificate!.San);
        Assert.Equal(Issuer, signer.Certificate.Issuer);
    }

    [Fact]
    public async Task WorkflowIdentityIsAUri()
    {
        var time = Clock();
        await using var fulcio = await TestFulcio.StartAsync(time);
        const string workflow = "https://github.com/org/app/.github/workflows/ci.yml@refs/heads/main";
        var (signer, _) = Signer(fulcio, time, TestJwt.Mint("https://token.actions.githubusercontent.com", workflow));
        using var _signer = signer;
        await signer.SignAsync(Dsse.InTotoPayloadType, Payload, TestContext.Current.CancellationToken);
        Assert.Equal("uri:" + workflow + ";issuer=https://token.actions.githubusercontent.com", signer.Identity);
    }

    [Fact]
    public async Task CertificateIsRenewedWhenNearExpiry()
    {
        var time = Clock();
        await using var fulcio = await TestFulcio.StartAsync(time);
        var (signer, tokens) = Signer(fulcio, time, TestJwt.Mint(Issuer, "alice-id", "alice@example.com"));
        using var _signer = signer;
        var ct = TestContext.Current.CancellationToken;

        // The margin is the worst-case Rekor append with the default settings: 3 attempts of 30 s,
        // two 30 s Retry-After waits, twice over for an "already logged" answer: 5 minutes.
        Assert.Equal(TimeSpan.FromMinutes(5), KeylessSignerOptions.AppendBudget(new Tlogistry.Http.JsonHttpOptions()));
        Assert.Equal(TimeSpan.FromMinutes(5), new KeylessSignerOptions().RenewBefore);

        var first = await signer.SignAsync(Dsse.InTotoPayloadType, Payload, ct);
        time.Advance(TimeSpan.FromMinutes(4.5));
        var second = await signer.SignAsync(Dsse.InTotoPayloadType, Payload, ct);
        Assert.Equal(1, fulcio.Requests);
        Assert.Same(first.Signer, second.Signer);

        // 10-minute leaf, 5-minute margin: past 5 minutes it is replaced, so an append started now still ends inside it.
        time.Advance(TimeSpan.FromMinutes(1));
        var third = await signer.SignAsync(Dsse.InTotoPayloadType, Payload, ct);
        Assert.Equal(2, fulcio.Requests);
        Assert.Equal(2, tokens.Calls);
        Assert.NotEqual(first.Signer.Certificates[0], third.Signer.Certificates[0]);
        Assert.Equal(first.Signer.PublicKeyDer, third.Signer.PublicKeyDer);
        using var leaf = X509CertificateLoader.LoadCertificate(third.Signer.Certificates[0]);
        Assert.True(leaf.NotBefore.ToUniversalTime() <= time.Now.UtcDateTime && time.Now.UtcDateTime <= leaf.NotAfter.ToUniversalTime());
        Assert.True(EnvelopeVerifier.Verify(third.Envelope, third.Signer.PublicKeyDer));

        // Long past expiry: renewed again, never signed under the dead certificate.
        time.Advance(TimeSpan.FromHours(1));
        await signer.SignAsync(Dsse.InTotoPayloadType, Payload, ct);
        Assert.Equal(3, fulcio.Requests);
    }

    [Fact]
    public async Task ConcurrentSignaturesOnAColdSignerShareOneCertificateRequest()
    {
        var time = Clock();
        await using var fulcio = await TestFulcio.StartAsync(time);
        fulcio.AnswerDelay = TimeSpan.FromMilliseconds(200);
        var (signer, _) = Signer(fulcio, time, TestJwt.Mint(Issuer, "alice-id", "alice@example.com"));
        using var _signer = signer;

        var all = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => signer.SignAsync(Dsse.InTotoPayloadType, Payload, TestContext.Current.CancellationToken))));

        Assert.Equal(1, fulcio.Requests);
        Assert.All(all, s => Assert.True(EnvelopeVerifier.Verify(s.Envelope, s.Signer.PublicKeyDer)));
        Assert.Single(all.Select(s => Convert.ToBase64String(s.Signer.Certificates[0])).Distinct());
    }

    [Fact]
    public async Task ATokenSourceFailureSurfacesAndTheNextCallRetries()
    {
        var time = Clock();
        await using var fulcio = await TestFulcio.StartAsync(time);
        var env = new Dictionary<string, string>();
        using var signer = new KeylessSigner(
            new FulcioClient(fulcio.BaseUrl, Http),
            new EnvironmentTokenSource("T", n => env.GetValueOrDefault(n)),
            time,
            new KeylessSignerOptions(),
            NullLogger<KeylessSigner>.Instance);

        await Assert.ThrowsAsync<IdentityTokenException>(() => signer.SignAsync(Dsse.InTotoPayloadType, Payload, TestContext.Current.CancellationToken));
        env["T"] = TestJwt.Mint(Issuer, "alice-id", "alice@example.com");
        await signer.SignAsync(Dsse.InTotoPayloadType, Payload, TestContext.Current.CancellationToken);
        Assert.Equal(1, fulcio.Requests);
    }

    [Fact]
    public async Task TheTestAuthorityGoesIntoATrustedRoot()
    {
        await using var fulcio = await TestFulcio.StartAsync();
        var root = TrustedRoot.Parse(new TrustedRoot([], [fulcio.Authority()]).Write());
        var ca = Assert.Single(root.CertificateAuthorities);
        Assert.Equal([fulcio.Intermediate.RawData, fulcio.Root.RawData], ca.Certificates);
        Assert.Equal(fulcio.BaseUrl.AbsoluteUri.TrimEnd('/'), ca.Uri);
    }

    [Fact]
    public async Task KeyModeSignsThroughTheSameInterface()
    {
        using var key = InstanceKey.FromEcdsa(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256));
        IEnvelopeSigner signer = key;
        var signed = await signer.SignAsync(Dsse.InTotoPayloadType, Payload, TestContext.Current.CancellationToken);
        Assert.Empty(signed.Signer.Certificates);
        Assert.Equal(key.PublicKeyDer, signed.Signer.PublicKeyDer);
        Assert.True(EnvelopeVerifier.Verify(signed.Envelope, signed.Signer.PublicKeyDer));
        Assert.StartsWith("key:sha256:", signer.Identity, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATokenForAnotherAudienceIsNeverSentToFulcio()
    {
        var time = Clock();
        await using var fulcio = await TestFulcio.StartAsync(time);
        var (signer, _) = Signer(fulcio, time, TestJwt.Mint(Issuer, "alice-id", "alice@example.com", time.Now.AddHours(1), audience: "https://other-service.example"));
        using var _signer = signer;

        var e = await Assert.ThrowsAsync<IdentityTokenException>(() => signer.SignAsync(Dsse.InTotoPayloadType, Payload, TestContext.Current.CancellationToken));
        Assert.Contains("audience https://other-service.example, not sigstore", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, fulcio.Requests);

        // An audience list that names sigstore is accepted.
        var (listed, _) = Signer(fulcio, time, TestJwt.Mint(Issuer, "alice-id", "alice@example.com", time.Now.AddHours(1), audience: new System.Text.Json.Nodes.JsonArray("other", "sigstore")));
        using var _listed = listed;
        await listed.SignAsync(Dsse.InTotoPayloadType, Payload, TestContext.Current.CancellationToken);
        Assert.Equal(1, fulcio.Requests);
    }

    [Fact]
    public async Task AnExpiredEnvironmentTokenIsRefusedBeforeFulcioSeesIt()
    {
        var time = Clock();
        await using var fulcio = await TestFulcio.StartAsync(time);
        var env = new Dictionary<string, string> { ["T"] = TestJwt.Mint(Issuer, "alice-id", "alice@example.com", time.Now.AddMinutes(5)) };
        using var signer = new KeylessSigner(new FulcioClient(fulcio.BaseUrl, Http), new EnvironmentTokenSource("T", n => env.GetValueOrDefault(n)), time, new KeylessSignerOptions(), NullLogger<KeylessSigner>.Instance);
        await signer.SignAsync(Dsse.InTotoPayloadType, Payload, TestContext.Current.CancellationToken);

        // The certificate runs out; the variable still holds the same token, now expired.
        time.Advance(TimeSpan.FromMinutes(10));
        var e = await Assert.ThrowsAsync<IdentityTokenException>(() => signer.SignAsync(Dsse.InTotoPayloadType, Payload, TestContext.Current.CancellationToken));
        Assert.Contains("expired", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, fulcio.Requests);
    }

    [Fact]
    public async Task ACertificateThePolicyWouldRefuseOnReadBackIsNeverSignedWith()
    {
        var time = Clock();
        await using var fulcio = await TestFulcio.StartAsync(time);
        var policy = new CertificatePolicy(fulcio.TrustedRoot([]), new CertificateIdentity(SanKind.Email, "alice@example.com"), Issuer);
        KeylessSigner With(string email) => new(new FulcioClient(fulcio.BaseUrl, Http), new CountingTokens(TestJwt.Mint(Issuer, "id", email, time.Now.AddHours(1))), time, new KeylessSignerOptions(), NullLogger<KeylessSigner>.Instance, policy);

        using (var alice = With("alice@example.com"))
        {
            var signed = await alice.SignAsync(Dsse.InTotoPayloadType, Payload, TestContext.Current.CancellationToken);
            Assert.True(EnvelopeVerifier.Verify(signed.Envelope, signed.Signer.PublicKeyDer));
        }

        // Another identity: refused as a setting error (the start stops), not as a service outage.
        using (var bob = With("bob@example.com"))
        {
            var e = await Assert.ThrowsAsync<FulcioException>(() => bob.SignAsync(Dsse.InTotoPayloadType, Payload, TestContext.Current.CancellationToken));
            Assert.True(e.CertificateRefused);
            Assert.Contains("SAN is email:bob@example.com not email:alice@example.com", e.Message, StringComparison.Ordinal);
        }

        // No SCT: Fulcio's specification says not to trust it, so nothing is signed with it.
        fulcio.IssueSct = false;
        using (var alice = With("alice@example.com"))
        {
            var e = await Assert.ThrowsAsync<FulcioException>(() => alice.SignAsync(Dsse.InTotoPayloadType, Payload, TestContext.Current.CancellationToken));
            Assert.True(e.CertificateRefused);
            Assert.Contains("certificate transparency check failed", e.Message, StringComparison.Ordinal);
        }

        // A detached SCT verifies, but a bundle carries only the certificate: readers could not check it.
        fulcio.IssueSct = true;
        fulcio.DetachedSct = true;
        using (var alice = With("alice@example.com"))
        {
            var e = await Assert.ThrowsAsync<FulcioException>(() => alice.SignAsync(Dsse.InTotoPayloadType, Payload, TestContext.Current.CancellationToken));
            Assert.Contains("carries no SCT", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AHostClockBehindFulcioWithinTheToleranceWaitsForTheCertificateToStart()
    {
        await using var fulcio = await TestFulcio.StartAsync();
        fulcio.ClockAhead = TimeSpan.FromSeconds(1.5);
        var (signer, _) = Signer(fulcio, TimeProvider.System, TestJwt.Mint(Issuer, "alice-id", "alice@example.com", DateTimeOffset.UtcNow.AddHours(1)));
        using var _signer = signer;

        // Before, a certificate starting after "now" was refused outright ("clock skew?").
        var signed = await signer.SignAsync(Dsse.InTotoPayloadType, Payload, TestContext.Current.CancellationToken);
        using var leaf = X509CertificateLoader.LoadCertificate(signed.Signer.Certificates[0]);
        Assert.True(DateTimeOffset.UtcNow >= new DateTimeOffset(leaf.NotBefore.ToUniversalTime()), "signed before the certificate started");
    }

    [Fact]
    public async Task AHostClockFurtherBehindThanTheToleranceIsRefused()
    {
        var time = Clock();
        await using var fulcio = await TestFulcio.StartAsync(time);
        fulcio.ClockAhead = TimeSpan.FromMinutes(2);
        var (signer, _) = Signer(fulcio, time, TestJwt.Mint(Issuer, "alice-id", "alice@example.com", time.Now.AddHours(1)));
        using var _signer = signer;

        var e = await Assert.ThrowsAsync<FulcioException>(() => signer.SignAsync(Dsse.InTotoPayloadType, Payload, TestContext.Current.CancellationToken));
        Assert.Contains("clock skew", e.Message, StringComparison.Ordinal);
    }
}
