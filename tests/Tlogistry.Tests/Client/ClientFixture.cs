using System.Net;

namespace Tlogistry.Tests.Client;

/// <summary>
/// A proxy (in-process, embedded log) in front of the per-tag upstream, with the trust material
/// it publishes saved to files the way a user keeps it: /tlog/trusted_root.json and /tlog/key.pem.
/// </summary>
internal sealed class ClientFixture : IAsyncDisposable
{
    private ClientFixture(TagUpstream upstream, TempDirectory data, TempDirectory files, ProxyHost proxy, HttpClient http)
    {
        Upstream = upstream;
        Data = data;
        Files = files;
        Proxy = proxy;
        Http = http;
    }

    public TagUpstream Upstream { get; }

    public TempDirectory Data { get; }

    /// <summary>Where trust files, bundles and the checkpoint cache of a test go.</summary>
    public TempDirectory Files { get; }

    public ProxyHost Proxy { get; }

    public HttpClient Http { get; }

    public string TrustedRoot => Files.Combine("trusted_root.json");

    public string Key => Files.Combine("key.pem");

    public string StateDir => Files.Combine("state");

    public static async Task<ClientFixture> StartAsync(CancellationToken ct, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var upstream = await TagUpstream.StartAsync();
        var data = new TempDirectory();

        // The deployment's key, as an operator provisions it: a replica on a shared store never makes one.
        Tlogistry.Signing.InstanceKey.LoadOrCreate(Path.Combine(data.Path, "signing-key.pem")).Dispose();
        var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, ct);
        var http = new HttpClient { BaseAddress = proxy.BaseUri };
        var fixture = new ClientFixture(upstream, data, new TempDirectory(), proxy, http);
        await File.WriteAllBytesAsync(fixture.TrustedRoot, await http.GetByteArrayAsync("/tlog/trusted_root.json", ct), ct);
        await File.WriteAllBytesAsync(fixture.Key, await http.GetByteArrayAsync("/tlog/key.pem", ct), ct);
        return fixture;
    }

    /// <summary>Pulls scripted.test/REPO:TAG through the proxy; returns the digest served.</summary>
    public async Task<string> PullAsync(string tag, CancellationToken ct, string repository = "app")
    {
        using var response = await Http.GetAsync($"/v2/scripted.test/{repository}/manifests/{tag}", ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("Docker-Content-Digest").Single();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Proxy.DisposeAsync();
        await Upstream.DisposeAsync();
        Files.Dispose();
        Data.Dispose();
    }
}
