using Tlogistry.Transparency.Sigstore.Identity;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Http;
using Tlogistry.Http;
using Tlogistry.Signing.Keyless;

namespace Tlogistry.Tests.Keyless;

public sealed class FulcioClientTests
{
    private const string Issuer = "https://issuer.example";
    private static readonly HttpClient Http = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task BothAnswerShapesGiveTheChainLeafFirst(bool detached)
    {
        await using var fulcio = await TestFulcio.StartAsync();
        fulcio.DetachedSct = detached;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var chain = await new FulcioClient(fulcio.BaseUrl, Http).RequestCertificateAsync(
            TestJwt.Mint(Issuer, "alice-id", "alice@example.com"), key, TestContext.Current.CancellationToken);

        Assert.Equal(3, chain.Certificates.Count);
        using var leaf = X509CertificateLoader.LoadCertificate(chain.Certificates[0]);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), leaf.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(fulcio.Intermediate.RawData, chain.Certificates[1]);
        Assert.Equal(fulcio.Root.RawData, chain.Certificates[2]);
        Assert.Equal(detached, chain.DetachedSct is not null);

        var identity = FulcioCertificate.Read(leaf.RawData);
        Assert.Equal("email:alice@example.com;issuer=" + Issuer, SignerIdentity.Of(identity));
    }

    [Fact]
    public async Task AProofOverTheWrongSubjectIsRefused()
    {
        await using var fulcio = await TestFulcio.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        // For an email token Fulcio's principal is the email: a proof over sub does not verify.
        var proof = key.SignData(Encoding.UTF8.GetBytes("alice-id"), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var body = FulcioClient.RequestBody(TestJwt.Mint(Issuer, "alice-id", "alice@example.com"), key.ExportSubjectPublicKeyInfoPem(), proof);
        using var response = await Http.PostAsync(new Uri(fulcio.BaseUrl, "api/v2/signingCert"), new ByteArrayContent(body), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("could not be verified", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMalformedTokenIsUnauthorized()
    {
        await using var fulcio = await TestFulcio.StartAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var body = FulcioClient.RequestBody("not-a-jwt", key.ExportSubjectPublicKeyInfoPem(), [1, 2, 3]);
        using var response = await Http.PostAsync(new Uri(fulcio.BaseUrl, "api/v2/signingCert"), new ByteArrayContent(body), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task ARefusalNamesStatusAndMessage()
    {
        var (app, url) = await LoopbackApp.StartAsync(c =>
        {
            c.Response.StatusCode = 401;
            c.Response.ContentType = "application/json";
            return c.Response.WriteAsync("{\"code\":16,\"message\":\"There was an error processing the identity token\",\"details\":[]}");
        });
        try
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var e = await Assert.ThrowsAsync<FulcioException>(() => new FulcioClient(url, Http).RequestCertificateAsync(
                TestJwt.Mint(Issuer, "alice-id", "alice@example.com"), key, TestContext.Current.CancellationToken));
            Assert.Equal(HttpStatusCode.Unauthorized, e.Status);
            Assert.Contains("401", e.Message, StringComparison.Ordinal);
            Assert.Contains("error processing the identity token", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Fact]
    public async Task AnOversizedAnswerIsRefused()
    {
        var (app, url) = await LoopbackApp.StartAsync(c => c.Response.WriteAsync(new string('x', 10_000)));
        try
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var client = new FulcioClient(url, Http, new JsonHttpOptions { MaxResponseBytes = 1000, MaxAttempts = 1 });
            var e = await Assert.ThrowsAsync<FulcioException>(() => client.RequestCertificateAsync(
                TestJwt.Mint(Issuer, "alice-id", "alice@example.com"), key, TestContext.Current.CancellationToken));
            Assert.Contains("1000", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Fact]
    public async Task ASilentServerTimesOut()
    {
        var (app, url) = await LoopbackApp.StartAsync(async c => await Task.Delay(TimeSpan.FromSeconds(30), c.RequestAborted));
        try
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var client = new FulcioClient(url, Http, new JsonHttpOptions { RequestTimeout = TimeSpan.FromMilliseconds(300), MaxAttempts = 1 });
            var e = await Assert.ThrowsAsync<FulcioException>(() => client.RequestCertificateAsync(
                TestJwt.Mint(Issuer, "alice-id", "alice@example.com"), key, TestContext.Current.CancellationToken));
            Assert.Contains("did not answer", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }
}
