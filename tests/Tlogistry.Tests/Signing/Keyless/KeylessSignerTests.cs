using Tlogistry.Signing.Identity;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Signing;
using Tlogistry.Signing.Keyless;
using Tlogistry.Tests.Support;
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
    public async Task Signatures_verify_with_the_leaf_key_and_the_leaf_chains_to_the_root()
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
    public async Task Identity_comes_from_the_certificate()
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
    public async Task Workflow_identity_is_a_uri()
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
    public async Task Certificate_is_renewed_when_near_expiry()
    {
        var time = Clock();
        await using var fulcio = await TestFulcio.StartAsync(time);
        var (signer, tokens) = Signer(fulcio, time, TestJwt.Mint(Issuer, "alice-id", "alice@example.com"));
        using var _signer = signer;
        var ct = TestContext.Current.CancellationToken;

        var first = await signer.SignAsync(Dsse.InTotoPayloadType, Payload, ct);
        time.Advance(TimeSpan.FromMinutes(7));
        var second = await signer.SignAsync(Dsse.InTotoPayloadType, Payload, ct);
        Assert.Equal(1, fulcio.Requests);
        Assert.Same(first.Signer, second.Signer);

        // 10-minute leaf, 2-minute margin: at 8.5 minutes it is replaced.
        time.Advance(TimeSpan.FromMinutes(1.5));
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
    public async Task Concurrent_signatures_on_a_cold_signer_share_one_certificate_request()
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
    public async Task A_token_source_failure_surfaces_and_the_next_call_retries()
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
    public async Task The_test_authority_goes_into_a_trusted_root()
    {
        await using var fulcio = await TestFulcio.StartAsync();
        var root = TrustedRoot.Parse(new TrustedRoot([], [fulcio.Authority()]).Write());
        var ca = Assert.Single(root.CertificateAuthorities);
        Assert.Equal([fulcio.Intermediate.RawData, fulcio.Root.RawData], ca.Certificates);
        Assert.Equal(fulcio.BaseUrl.AbsoluteUri.TrimEnd('/'), ca.Uri);
    }

    [Fact]
    public async Task Key_mode_signs_through_the_same_interface()
    {
        using var key = InstanceKey.FromEcdsa(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256));
        IEnvelopeSigner signer = key;
        var signed = await signer.SignAsync(Dsse.InTotoPayloadType, Payload, TestContext.Current.CancellationToken);
        Assert.Empty(signed.Signer.Certificates);
        Assert.Equal(key.PublicKeyDer, signed.Signer.PublicKeyDer);
        Assert.True(EnvelopeVerifier.Verify(signed.Envelope, signed.Signer.PublicKeyDer));
        Assert.StartsWith("key:sha256:", signer.Identity, StringComparison.Ordinal);
    }
}
