namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// Real parts on loopback: a Distribution registry standing in for docker.io (its blobs
/// redirect to a CDN, as Docker Hub's do), one for ghcr.io, one behind Docker token auth,
/// the images the tests pull, and tlogistry in front of all three.
/// </summary>
public sealed class PullThroughFixture : IAsyncLifetime
{
    public const string PrivateHost = "private.example.test";

    /// <summary>The docker.io stand-in under another name, with tag policies of its own: latest is mutable, a moved tag serves its pin.</summary>
    public const string PolicyHost = "policy.example.test";
    private readonly TempDirectory _work = new("tlogistry-e2e-");
    private ProxyHost? _proxy;

    public StaticFileServer Cdn { get; private set; } = null!;

    public DistributionRegistry Hub { get; private set; } = null!;

    public DistributionRegistry Ghcr { get; private set; } = null!;

    public DistributionRegistry Private { get; private set; } = null!;

    public TokenIssuer Issuer { get; private set; } = null!;

    public OciImageBuilder Images { get; private set; } = null!;

    public OciImage Alpine { get; private set; } = null!;

    public OciImage App { get; private set; } = null!;

    public OciImage Big { get; private set; } = null!;

    internal ProxyHost Proxy => _proxy ?? throw new InvalidOperationException("proxy not started");

    public string DataDir => _work.Combine("proxy-data");

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        Cdn = await StaticFileServer.StartAsync();
        Hub = await DistributionRegistry.StartAsync(cancellationToken: ct, redirectBaseUrl: Cdn.BaseUri);
        Cdn.Root = Hub.DataDirectory;
        Ghcr = await DistributionRegistry.StartAsync(cancellationToken: ct);
        Issuer = await TokenIssuer.StartAsync(cancellationToken: ct);
        Private = await DistributionRegistry.StartAsync(Issuer.RegistryAuth, cancellationToken: ct);

        Images = new OciImageBuilder(_work.Combine("layout"));
        Alpine = Images.AddImage("alpine", "alpine 3.16.0 as first seen");
        App = Images.AddImage("app", "ghcr app v1");
        Big = Images.AddImage("big", "big layer image", randomLayerBytes: 64L << 20);
        await Skopeo.CopyAsync(Alpine.Reference, $"docker://{Hub.HostPort}/library/alpine:3.16.0", cancellationToken: ct);
        await Skopeo.CopyAsync(App.Reference, $"docker://{Ghcr.HostPort}/org/app:v1", cancellationToken: ct);
        await Skopeo.CopyAsync(Big.Reference, $"docker://{Ghcr.HostPort}/org/big:1", cancellationToken: ct);
        await Skopeo.CopyAsync(App.Reference, $"docker://{Private.HostPort}/org/app:v1", ["--dest-creds", Issuer.Credentials], cancellationToken: ct);
        await StartProxyAsync();
    }

    /// <summary>Pushes an image straight to the docker.io stand-in, behind the proxy's back.</summary>
    public async Task<OciImage> PushToHubAsync(string repository, string tag, string text)
    {
        var image = Images.AddImage(Guid.NewGuid().ToString("n"), text);
        await Skopeo.CopyAsync(image.Reference, $"docker://{Hub.HostPort}/{repository}:{tag}", cancellationToken: TestContext.Current.CancellationToken);
        return image;
    }

    public async Task RestartProxyAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
            _proxy = null;
        }

        await StartProxyAsync();
    }

    public HttpClient Client() => new(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = Proxy.BaseUri, Timeout = TimeSpan.FromMinutes(2) };

    public async ValueTask DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();

            // After the whole run, every sighting the proxy indexed must verify against the final checkpoint.
            LogAudit.VerifyAll(DataDir);
        }

        foreach (var d in new IAsyncDisposable?[] { Private, Issuer, Ghcr, Hub, Cdn })
        {
            if (d is not null)
            {
                await d.DisposeAsync();
            }
        }

        _work.Dispose();
    }

    private async Task StartProxyAsync() =>
        _proxy = await ProxyHost.StartAsync(
            DataDir,
            [
                "docker.io=" + Hub.BaseUri,
                "ghcr.io=" + Ghcr.BaseUri,
                PrivateHost + "=" + Private.BaseUri,
                PolicyHost + "=" + Hub.BaseUri,
            ],
            new Dictionary<string, string?>
            {
                ["Tlogistry:Policies:0"] = PolicyHost + ":mutable-tag=^latest$",
                ["Tlogistry:Policies:1"] = PolicyHost + ":on-mismatch=serve-pinned",
            },
            TestContext.Current.CancellationToken);
}
