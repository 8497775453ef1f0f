using System.Net;
using System.Net.Sockets;
using Tlogistry.Upstream.Guard;

namespace Tlogistry.Tests.Upstream.Guard;

public sealed class AddressPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.0.9", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("10.1.2.3", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fc00::1", "private")]
    [InlineData("fd12:3456::1", "private")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("::", "unspecified")]
    [InlineData("100.64.0.1", "shared")]
    [InlineData("255.255.255.255", "reserved")]
    [InlineData("64:ff9b::a9fe:a9fe", "link-local")]
    [InlineData("2002:a00:1::", "private")]
    [InlineData("::ffff:10.0.0.1", "private")]
    public void Refuses_special_purpose_addresses(string address, string why) =>
        Assert.Contains(why, AddressPolicy.Refusal(IPAddress.Parse(address)), StringComparison.Ordinal);

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.1")]
    [InlineData("192.169.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700::1111")]
    [InlineData("64:ff9b::808:808")]
    public void Allows_public_addresses(string address) =>
        Assert.Null(AddressPolicy.Refusal(IPAddress.Parse(address)));
}

public sealed class RegistryPolicyTests
{
    [Theory]
    [InlineData("*.gcr.io", "eu.gcr.io", true)]
    [InlineData("*.gcr.io", "gcr.io", false)]
    [InlineData("*.gcr.io", "a.b.gcr.io", false)]
    [InlineData("docker.io", "docker.io", true)]
    [InlineData("ghcr.io", "ghcr.io.evil.com", false)]
    [InlineData("registry*.example.com", "registry-eu.example.com", true)]
    [InlineData("localhost:5000", "localhost:5000", true)]
    public void Patterns_match_within_labels(string pattern, string host, bool matches) =>
        Assert.Equal(matches, RegistryPolicy.Matches(pattern, host));

    [Fact]
    public void Deny_wins_and_an_allow_list_closes_everything_else()
    {
        var policy = new RegistryPolicy(["docker.io", "*.gcr.io", "ghcr.io"], ["ghcr.io"]);
        Assert.Null(policy.Refusal("docker.io"));
        Assert.Null(policy.Refusal("eu.gcr.io"));
        Assert.Contains("denied", policy.Refusal("ghcr.io"), StringComparison.Ordinal);
        Assert.Contains("not in", policy.Refusal("quay.io"), StringComparison.Ordinal);
        Assert.True(policy.IsExplicitlyAllowed("docker.io"));
        Assert.False(policy.IsExplicitlyAllowed("eu.gcr.io"));

        var open = new RegistryPolicy([], ["index.docker.io"]);
        Assert.NotNull(open.Refusal("docker.io"));
        Assert.Null(open.Refusal("quay.io"));
    }
}

/// <summary>The guard itself, in a real SocketsHttpHandler, against a listener that must stay silent.</summary>
public sealed class ConnectGuardTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Loopback_is_refused_by_the_guarded_pool_and_reached_only_by_the_configured_one()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var pools = new TransportPools(new Tlogistry.Upstream.UpstreamOptions());
        var guarded = pools.For(Destination.Guarded);

        foreach (var url in new[] { $"http://127.0.0.1:{port}/", $"http://localhost:{port}/", $"http://[::ffff:127.0.0.1]:{port}/", $"http://0.0.0.0:{port}/" })
        {
            var e = await Assert.ThrowsAsync<HttpRequestException>(() => guarded.GetAsync(url, Ct));
            Assert.IsType<RefusedDestinationException>(e.InnerException);
        }

        Assert.False(silent.Pending());

        // The same destination, on the pool for destinations the operator configured, connects.
        var send = pools.For(Destination.Configured).GetAsync($"http://127.0.0.1:{port}/", Ct);
        using var accepted = await silent.AcceptTcpClientAsync(Ct);
        Assert.True(accepted.Connected);
    }

    [Fact]
    public async Task A_configured_authority_is_trusted_by_host_and_port()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var guard = new ConnectGuard([$"127.0.0.1:{port}"]);
        Assert.True(guard.IsTrusted(new Uri($"http://127.0.0.1:{port}/v2/")));
        Assert.False(guard.IsTrusted(new Uri($"http://127.0.0.1:{port + 1}/v2/")));
        Assert.False(guard.IsTrusted(new Uri("http://localhost/v2/")));

        // A bare host is trusted on 443 only, the port a registry without a mapping is reached on.
        var bare = new ConnectGuard(["registry.internal"]);
        Assert.True(bare.IsTrusted(new Uri("https://registry.internal/v2/")));
        Assert.False(bare.IsTrusted(new Uri("http://registry.internal:6379/")));
        Assert.False(bare.IsTrusted(new Uri("http://registry.internal/")));
        await Task.CompletedTask;
    }
}
