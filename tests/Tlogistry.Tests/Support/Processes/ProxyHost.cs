using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Tlogistry.Host;

namespace Tlogistry.Tests.Support.Processes;

/// <summary>
/// tlogistry itself, built by the same composition root as <c>tlogistry serve</c> and
/// listening on a free port. Stopping and starting again on the same data directory is a
/// restart.
/// </summary>
internal sealed class ProxyHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ProxyHost(WebApplication app, string scheme, int port, string dataDir)
    {
        _app = app;
        Scheme = scheme;
        Port = port;
        DataDir = dataDir;
    }

    /// <summary>http, or https when the settings name a certificate.</summary>
    public string Scheme { get; }

    public int Port { get; }

    public string DataDir { get; }

    /// <summary>"127.0.0.1:port", the registry host clients name.</summary>
    public string HostPort => $"127.0.0.1:{Port}";

    public Uri BaseUri => new($"{Scheme}://127.0.0.1:{Port}/");

    public IServiceProvider Services => _app.Services;

    public static async Task<ProxyHost> StartAsync(
        string dataDir,
        IEnumerable<string> upstreams,
        IReadOnlyDictionary<string, string?>? settings = null,
        CancellationToken cancellationToken = default)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Tlogistry:Port"] = "0",
            ["Tlogistry:DataDir"] = dataDir,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }

        var i = 0;
        foreach (var u in upstreams)
        {
            overrides[$"Tlogistry:Upstreams:{i++}"] = u;
        }

        var app = await TlogistryApp.BuildAsync(overrides, [], cancellationToken);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal));
        return new ProxyHost(app, uri.Scheme, uri.Port, dataDir);
    }

    /// <summary>Stops the proxy; a second call does nothing (a test may stop it before its owner does).</summary>
    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
