namespace Tlogistry.Tests.Conformance;

/// <summary>Where a conformance check runs: Distribution itself, or the proxy in front of it.</summary>
public enum ConformanceTarget
{
    Direct,
    Proxy,
}

/// <summary>
/// A real Distribution registry holding <see cref="ConformanceContent"/>, and tlogistry in
/// front of it as <see cref="RegistryName"/>: each check runs against both, on the same bytes.
/// </summary>
public sealed class ConformanceFixture : IAsyncLifetime
{
    public const string RegistryName = "conformance.test";

    private readonly TempDirectory _data = new("tlogistry-conformance-");
    private ProxyHost? _proxy;
    private HttpClient? _direct;
    private HttpClient? _proxied;

    public ConformanceContent Content { get; } = ConformanceContent.Build();

    public DistributionRegistry Registry { get; private set; } = null!;

    internal ProxyHost Proxy => _proxy ?? throw new InvalidOperationException("proxy not started");

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        Registry = await DistributionRegistry.StartAsync(cancellationToken: ct);
        _direct = Registry.Client();
        await Content.PushAsync(_direct, ct);
        _proxy = await ProxyHost.StartAsync(_data.Path, [RegistryName + "=" + Registry.BaseUri], cancellationToken: ct);
        _proxied = new HttpClient { BaseAddress = _proxy.BaseUri };
    }

    public async ValueTask DisposeAsync()
    {
        _direct?.Dispose();
        _proxied?.Dispose();
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        if (Registry is not null)
        {
            await Registry.DisposeAsync();
        }

        _data.Dispose();
    }

    /// <summary>
    /// Skips the Direct run of a check Distribution itself fails (<paramref name="failed"/>):
    /// that is the registry's result, not the proxy's; the Proxy run still checks the spec.
    /// </summary>
    public static void SkipWhenDistributionFails(ConformanceTarget target, bool failed, string reason)
    {
        if (target == ConformanceTarget.Direct && failed)
        {
            Assert.Skip("Distribution " + reason);
        }
    }

    public HttpClient Client(ConformanceTarget target) => target == ConformanceTarget.Direct ? _direct! : _proxied!;

    /// <summary>The repository's path prefix as the target's clients name it: <c>/v2/NAME</c>.</summary>
    public static string Name(ConformanceTarget target) =>
        "/v2/" + (target == ConformanceTarget.Direct ? "" : RegistryName + "/") + ConformanceContent.Repository;

    /// <summary>Sends a request for <c>/v2/NAME/SUFFIX</c> to the target; the body is read whole.</summary>
    public async Task<ConformanceAnswer> SendAsync(ConformanceTarget target, HttpMethod method, string suffix, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, Name(target) + "/" + suffix);
        configure?.Invoke(request);
        using var response = await Client(target).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        return await ConformanceAnswer.ReadAsync(response);
    }
}

/// <summary>One registry and one proxy for every conformance class: the workflows read, and the one write (a moved tag) uses a tag of its own.</summary>
[CollectionDefinition(Name)]
public sealed class ConformanceCollection : ICollectionFixture<ConformanceFixture>
{
    public const string Name = "Conformance";
}
