using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tlogistry.Tests.Upstream.Guard;

/// <summary>
/// A connection the proxy opened for a destination the operator configured is never reused for
/// one a client named. The internal service is a TLS listener on another loopback address that
/// doubles as the token realm a configured upstream names, so the proxy has a good reason to
/// hold a connection to it; a client asking for that service by name must be refused every time.
/// </summary>
public sealed class PooledConnectionTests
{
    private static readonly IPAddress Internal = IPAddress.Parse("127.0.0.9");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ATrustedTokenRealmConnectionNeverServesAClientNamedDestination()
    {
        using var tls = new TestTls(Internal);
        var secretReads = 0;
        var tokenRequests = 0;
        await using var service = await StartInternalServiceAsync(tls, async c =>
        {
            if (c.Request.Path == "/token")
            {
                Interlocked.Increment(ref tokenRequests);
                c.Response.ContentType = "application/json";
                await c.Response.WriteAsync("""{"token":"internal-token","expires_in":1}""");
                return;
            }

            Interlocked.Increment(ref secretReads);
            c.Response.ContentType = "application/json";
            await c.Response.WriteAsync("""{"name":"secret/data","tags":["internal-only"]}""");
        });
        var realm = $"https://{service.Authority}/token";

        // The configured upstream wants a token from the internal service's realm.
        var manifest = Encoding.UTF8.GetBytes(
            """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}""");
        await using var upstream = await ScriptedRegistry.StartAsync();
        upstream.Handler = async c =>
        {
            if (c.Request.Headers.Authorization.ToString() != "Bearer internal-token")
            {
                c.Response.StatusCode = 401;
                c.Response.Headers.WWWAuthenticate = $"Bearer realm=\"{realm}\",service=\"configured\"";
                return;
            }

            c.Response.ContentType = "application/vnd.oci.image.manifest.v1+json";
            c.Response.ContentLength = manifest.Length;
            await c.Response.Body.WriteAsync(manifest);
        };

        using var work = new TempDirectory();
        await using var proxy = await ServeProcess.StartAsync(
            work.Combine("data"),
            ["configured.test=" + upstream.BaseUri],
            Ct,
            environment: new Dictionary<string, string> { ["SSL_CERT_FILE"] = tls.AuthorityPath });
        using var http = new HttpClient { BaseAddress = proxy.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        var secret = $"/v2/{service.Authority}/secret/data/tags/list";

        await AssertDeniedAsync(http, secret);
        for (var round = 0; round < 3; round++)
        {
            // The configured pull: the proxy opens (or reuses) a TLS connection to the realm.
            using (var pull = await http.GetAsync($"/v2/configured.test/app/manifests/v{round}", Ct))
            {
                Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
            }

            // Straight after, with that connection warm in the pool: still refused.
            await AssertDeniedAsync(http, secret);
            await AssertDeniedAsync(http, $"/v2/{service.Authority}/secret/data/manifests/latest");
        }

        Assert.True(Volatile.Read(ref tokenRequests) >= 1, "the configured pull should have reached the token realm");
        Assert.Equal(0, Volatile.Read(ref secretReads));
    }

    private static async Task AssertDeniedAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{path}: {(int)response.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        var error = doc.RootElement.GetProperty("errors")[0];
        Assert.Equal("DENIED", error.GetProperty("code").GetString());
        Assert.Contains("loopback", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static async Task<InternalService> StartInternalServiceAsync(TestTls tls, RequestDelegate handler)
    {
        var certificate = X509Certificate2.CreateFromPemFile(tls.CertPath, tls.KeyPath);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(Internal, 0, l => l.UseHttps(certificate)));
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync(Ct);
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new InternalService(app, certificate, $"{Internal}:{address.Port}");
    }

    private sealed record InternalService(WebApplication App, X509Certificate2 Certificate, string Authority) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
            Certificate.Dispose();
        }
    }
}
