using System.Security.Cryptography;
using Tlogistry.Signing;
using Tlogistry.Signing.Timestamps;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Signing.Timestamps;

/// <summary>
/// The timestamp client and the timestamping signer against an authority that is not ours,
/// OpenSSL's <c>openssl ts -reply</c> behind the Sigstore TSA API, honest and hostile: every
/// answer that does not date exactly this signature by an authority of the trusted root, in
/// its window, fails the signature with the reason, so nothing reaches the log.
/// </summary>
public sealed class TimestampAuthorityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HonestAnswerDatesTheSignatureAndOpenSslAgrees()
    {
        await using var tsa = await OpenSslTsa.StartAsync();
        using var http = new HttpClient();
        var signature = RandomNumberGenerator.GetBytes(71);

        var answer = await new TimestampClient(tsa.Url, http).StampAsync(signature, Ct);

        var at = SignedTimestamp.Verify(answer, signature, [tsa.Authority()]);
        Assert.Equal(at, SignedTimestamp.Decode(answer).TokenInfo.Timestamp);
        var openssl = await tsa.OpenSslVerifyAsync(signature, answer);
        Assert.Equal(0, openssl.ExitCode);
        Assert.Contains("Verification: OK", openssl.StandardOutput, StringComparison.Ordinal);

        // The same answer does not date another signature.
        Assert.Contains("message imprint", Assert.Throws<FormatException>(() => SignedTimestamp.Verify(answer, RandomNumberGenerator.GetBytes(71), [tsa.Authority()])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignerKeepsOneVerifiedAnswerPerAuthority()
    {
        await using var first = await OpenSslTsa.StartAsync("first-tsa");
        await using var second = await OpenSslTsa.StartAsync("second-tsa");
        using var http = new HttpClient();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var root = Root(first.Authority(), second.Authority());
        var signer = new TimestampingSigner(InstanceKey.FromEcdsa(key), [new TimestampClient(first.Url, http), new TimestampClient(second.Url, http)], root);

        var signed = await signer.SignAsync("text/plain", "hello"u8.ToArray(), Ct);

        Assert.Equal(2, signed.Timestamps.Count);
        var signature = signed.Envelope.Signatures[0].Signature;
        Assert.Equal(1, first.Requests);
        Assert.Equal(1, second.Requests);
        foreach (var answer in signed.Timestamps)
        {
            SignedTimestamp.Verify(answer, signature, root.TimestampAuthorities);
        }
    }

    [Fact]
    public async Task AnswerOverAnotherImprintIsRefused()
    {
        await using var tsa = await OpenSslTsa.StartAsync();
        tsa.Behaviour = TsaBehaviour.OtherImprint;

        var e = await Fails(tsa, Root(tsa.Authority()));

        Assert.Contains("answered no timestamp for this request", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnswerFromAnAuthorityOutsideTheRootIsRefused()
    {
        await using var tsa = await OpenSslTsa.StartAsync("stranger-tsa");
        await using var trusted = await OpenSslTsa.StartAsync("trusted-tsa");

        var e = await Fails(tsa, Root(trusted.Authority()));

        Assert.Contains("the trusted root does not vouch for", e.Message, StringComparison.Ordinal);
        Assert.Contains("no trusted timestamp authority issued it", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnswerOutsideTheAuthoritysWindowIsRefused()
    {
        await using var tsa = await OpenSslTsa.StartAsync();
        var notYet = Root(tsa.Authority(validFrom: DateTimeOffset.UtcNow.AddYears(50)));
        var retired = Root(tsa.Authority(validUntil: DateTimeOffset.UnixEpoch.AddYears(1)));

        Assert.Contains("is outside its validity", (await Fails(tsa, notYet)).Message, StringComparison.Ordinal);
        Assert.Contains("is outside its validity", (await Fails(tsa, retired)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(TsaBehaviour.Garbage), "answered no timestamp for this request")]
    [InlineData(nameof(TsaBehaviour.Huge), "more than the 65536 bytes")]
    [InlineData(nameof(TsaBehaviour.Error), "answered 500")]
    public async Task HostileAnswerIsRefusedWithTheReason(string behaviour, string reason)
    {
        await using var tsa = await OpenSslTsa.StartAsync();
        tsa.Behaviour = Enum.Parse<TsaBehaviour>(behaviour);

        var e = await Fails(tsa, Root(tsa.Authority()));

        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Contains(tsa.Url.ToString(), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlowAuthorityIsGivenUpOn()
    {
        await using var tsa = await OpenSslTsa.StartAsync();
        tsa.Behaviour = TsaBehaviour.Slow;
        using var http = new HttpClient();

        var e = await Assert.ThrowsAsync<TimestampException>(() => new TimestampClient(tsa.Url, http, TimeSpan.FromMilliseconds(300)).StampAsync([1, 2, 3], Ct));

        Assert.Contains("did not answer within", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableAuthorityIsNamed()
    {
        using var http = new HttpClient();
        var url = new Uri($"http://127.0.0.1:{FreePort.Next()}/api/v1/timestamp");

        var e = await Assert.ThrowsAsync<TimestampException>(() => new TimestampClient(url, http).StampAsync([1, 2, 3], Ct));

        Assert.Contains("cannot be reached", e.Message, StringComparison.Ordinal);
    }

    private static async Task<TimestampException> Fails(OpenSslTsa tsa, TrustedRoot root)
    {
        using var http = new HttpClient();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signer = new TimestampingSigner(InstanceKey.FromEcdsa(key), [new TimestampClient(tsa.Url, http)], root);
        return await Assert.ThrowsAsync<TimestampException>(() => signer.SignAsync("text/plain", "hello"u8.ToArray(), Ct));
    }

    private static TrustedRoot Root(params CertificateAuthority[] authorities) => new([], [], [], authorities);
}
