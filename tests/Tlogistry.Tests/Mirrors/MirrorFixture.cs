
namespace Tlogistry.Tests.Mirrors;

/// <summary>
/// Two real Distribution registries on loopback standing in for docker.io and ghcr.io, each
/// holding a different image under the same name (<c>org/app:v1</c>), and tlogistry mapped onto
/// both (<c>--upstream</c>), with <see cref="DeniedRegistry"/> denied. A mirror that ignored
/// which registry a request names would serve one for the other.
/// </summary>
public sealed class MirrorFixture : IAsyncLifetime
{
    public const string DeniedRegistry = "denied.example.test";

    private readonly TempDirectory _work = new("tlogistry-mirror-");
    private int _images;

    public DistributionRegistry Hub { get; private set; } = null!;

    public DistributionRegistry Ghcr { get; private set; } = null!;

    public OciImageBuilder Images { get; private set; } = null!;

    internal ProxyHost Proxy { get; private set; } = null!;

    public string DataDir => _work.Combine("proxy-data");

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        Hub = await DistributionRegistry.StartAsync(cancellationToken: ct);
        Ghcr = await DistributionRegistry.StartAsync(cancellationToken: ct);
        Images = new OciImageBuilder(_work.Combine("layout"));
        Proxy = await ProxyHost.StartAsync(
            DataDir,
            ["docker.io=" + Hub.BaseUri, "ghcr.io=" + Ghcr.BaseUri],
            new Dictionary<string, string?> { ["Tlogistry:Upstream:DenyRegistries:0"] = DeniedRegistry },
            ct);
    }

    /// <summary>Pushes a new image as <paramref name="repository"/>:<paramref name="tag"/> straight to a stand-in, behind the proxy's back.</summary>
    public async Task<OciImage> PushAsync(DistributionRegistry registry, string repository, string tag, string text)
    {
        var image = Images.AddImage($"i{Interlocked.Increment(ref _images)}", text);
        await Skopeo.CopyAsync(image.Reference, $"docker://{registry.HostPort}/{repository}:{tag}", cancellationToken: TestContext.Current.CancellationToken);
        return image;
    }

    public HttpClient Client() => new(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = Proxy.BaseUri, Timeout = TimeSpan.FromMinutes(2) };

    public async ValueTask DisposeAsync()
    {
        if (Proxy is not null)
        {
            await Proxy.DisposeAsync();
            LogAudit.VerifyAll(DataDir);
        }

        foreach (var d in new IAsyncDisposable?[] { Ghcr, Hub })
        {
            if (d is not null)
            {
                await d.DisposeAsync();
            }
        }

        _work.Dispose();
    }
}
