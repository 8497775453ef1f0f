using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Tlogistry.Tests.Upstream.Guard;

/// <summary>
/// A forward proxy from the environment (<c>HTTPS_PROXY</c>, <c>HTTP_PROXY</c>, <c>ALL_PROXY</c>)
/// would make every guarded socket a socket to the proxy: the guard would judge the proxy's
/// address, and the proxy would dial whatever the client named, private addresses included.
/// A client-named registry is therefore always dialled directly and judged by its own address.
/// </summary>
public sealed class ProxyEnvironmentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AClientNamedRegistryIsJudgedByItsOwnAddressNeverThroughAProxy()
    {
        // Both listen on loopback and accept nothing but count: the proxy must never be asked,
        // and the registry must be refused before it is dialled.
        using var proxy = new TcpListener(IPAddress.Loopback, 0);
        using var registry = new TcpListener(IPAddress.Loopback, 0);
        proxy.Start();
        registry.Start();
        var proxyPort = ((IPEndPoint)proxy.LocalEndpoint).Port;
        var registryPort = ((IPEndPoint)registry.LocalEndpoint).Port;
        var proxyUrl = $"http://127.0.0.1:{proxyPort}";

        using var work = new TempDirectory();
        await using var service = await ServeProcess.StartAsync(
            work.Combine("data"),
            [],
            Ct,
            environment: new Dictionary<string, string>
            {
                ["HTTPS_PROXY"] = proxyUrl,
                ["HTTP_PROXY"] = proxyUrl,
                ["ALL_PROXY"] = proxyUrl,
                ["https_proxy"] = proxyUrl,
                ["http_proxy"] = proxyUrl,
                ["NO_PROXY"] = "",
                ["no_proxy"] = "",
            });
        using var http = new HttpClient { BaseAddress = service.BaseUri, Timeout = TimeSpan.FromSeconds(60) };

        foreach (var path in new[]
        {
            $"/v2/localhost:{registryPort}/app/manifests/v1",
            $"/v2/localhost:{registryPort}/app/tags/list",
            $"/v2/127.0.0.1:{registryPort}/app/manifests/v1",
        })
        {
            using var response = await http.GetAsync(path, Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{path}: {(int)response.StatusCode} {body}");
            using var doc = JsonDocument.Parse(body);
            var error = doc.RootElement.GetProperty("errors")[0];
            Assert.Equal("DENIED", error.GetProperty("code").GetString());
            var message = error.GetProperty("message").GetString()!;

            // The refusal is about the registry's own address, not about the proxy's.
            Assert.Contains($":{registryPort}: ", message, StringComparison.Ordinal);
            Assert.DoesNotContain(proxyPort.ToString(System.Globalization.CultureInfo.InvariantCulture), message, StringComparison.Ordinal);
        }

        Assert.False(proxy.Pending(), "the proxy from the environment was asked to connect");
        Assert.False(registry.Pending(), "a client-named loopback registry was dialled");
    }
}
