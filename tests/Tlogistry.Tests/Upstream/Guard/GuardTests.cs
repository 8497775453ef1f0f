using System.Net;
using System.Net.Sockets;
using Tlogistry.Oci;
using Tlogistry.Upstream.Guard;
using Tlogistry.Upstream;
using static Tlogistry.Tests.Support.Data.Registries;

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

    // IPv6 outside global unicast (2000::/3) reaches no public registry; several of its
    // blocks carry an IPv4 address a translator or tunnel may deliver to.
    [InlineData("::7f00:1", "not global unicast")]
    [InlineData("::a9fe:a9fe", "not global unicast")]
    [InlineData("::ffff:0:a00:1", "not global unicast")]
    [InlineData("64:ff9b:1::a00:1", "not global unicast")]
    [InlineData("64:ff9b:1:7f00:1::", "not global unicast")]
    [InlineData("100::1", "not global unicast")]
    [InlineData("::2", "not global unicast")]
    [InlineData("4000::1", "not global unicast")]

    // Inside 2000::/3, the blocks that are not the public internet.
    [InlineData("2001:db8::1", "documentation")]
    [InlineData("3fff::1", "documentation")]
    [InlineData("2001:2::1", "IETF protocol assignments")]
    [InlineData("2001::a00:1", "Teredo")]
    [InlineData("2002:7f00:1::", "loopback")]
    [InlineData("2002:a9fe:a9fe::1", "link-local")]
    public void RefusesSpecialPurposeAddresses(string address, string why) =>
        Assert.Contains(why, AddressPolicy.Refusal(IPAddress.Parse(address)), StringComparison.Ordinal);

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.1")]
    [InlineData("192.169.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700::1111")]
    [InlineData("64:ff9b::808:808")]
    [InlineData("2a00:1450:4001:80b::200e")]
    [InlineData("2002:808:808::1")]
    public void AllowsPublicAddresses(string address) =>
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
    public void PatternsMatchWithinLabels(string pattern, string host, bool matches) =>
        Assert.Equal(matches, RegistryPolicy.Matches(pattern, host));

    [Fact]
    public void DenyWinsAndAnAllowListClosesEverythingElse()
    {
        var policy = new RegistryPolicy(["docker.io", "*.gcr.io", "ghcr.io"], ["ghcr.io"]);
        Assert.Null(policy.Refusal(Named("docker.io")));
        Assert.Null(policy.Refusal(Named("eu.gcr.io")));
        Assert.Contains("denied", policy.Refusal(Named("ghcr.io")), StringComparison.Ordinal);
        Assert.Contains("not in", policy.Refusal(Named("quay.io")), StringComparison.Ordinal);
        Assert.True(policy.IsExplicitlyAllowed(Named("docker.io")));
        Assert.False(policy.IsExplicitlyAllowed(Named("eu.gcr.io")));

        var open = new RegistryPolicy([], ["index.docker.io"]);
        Assert.NotNull(open.Refusal(Named("docker.io")));
        Assert.Null(open.Refusal(Named("quay.io")));
    }

    /// <summary>Every spelling the name parser accepts for a registry, and whether a list holding it must match.</summary>
    public static TheoryData<string, string[], string, bool> Spellings => new()
    {
        // pattern(s) as configured, request name, whether the pattern matches it
        { "deny", ["ghcr.io"], "ghcr.io:443/org/app", true },
        { "deny", ["ghcr.io"], "GHCR.IO/org/app", true },
        { "deny", ["ghcr.io"], "Ghcr.Io:443/org/app", true },
        { "deny", ["ghcr.io"], "ghcr.io/org/app", true },
        { "deny", ["ghcr.io:443"], "ghcr.io/org/app", true },
        { "deny", ["GHCR.io"], "ghcr.io:443/org/app", true },
        { "deny", ["ghcr.io"], "ghcr.io:444/org/app", false },
        { "deny", ["*.gcr.io:443"], "EU.gcr.io:443/org/app", true },
        { "deny", ["registry-1.docker.io"], "alpine", true },
        { "deny", ["docker.io"], "index.docker.io:443/library/alpine", true },
        { "deny", ["127.0.0.1:5443"], "127.0.0.1:5443/x/y", true },
        { "allow", ["docker.io"], "alpine", true },
        { "allow", ["docker.io"], "docker.io/library/alpine", true },
        { "allow", ["docker.io"], "index.docker.io/library/alpine", true },
        { "allow", ["docker.io"], "registry-1.docker.io/library/alpine", true },
        { "allow", ["docker.io"], "registry-1.docker.io:443/library/alpine", true },
        { "allow", ["docker.io"], "DOCKER.IO:443/library/alpine", true },
        { "allow", ["docker.io"], "docker.io:444/library/alpine", false },
        { "allow", ["docker.io"], "registry-1.docker.io:444/library/alpine", false },
        { "allow", ["index.docker.io:443"], "alpine", true },
    };

    [Theory]
    [MemberData(nameof(Spellings))]
    public void ListsHoldForEverySpellingOfARegistry(string list, string[] patterns, string name, bool matches)
    {
        Assert.True(ImageNameParser.TryParse(name, out var parsed, out var error), error?.Message);
        var policy = list == "deny" ? new RegistryPolicy([], patterns) : new RegistryPolicy(patterns, []);
        var refusal = policy.Refusal(parsed.Registry);
        Assert.Equal(list == "deny" ? matches : !matches, refusal is not null);
    }

    [Theory]
    [InlineData("ghcr.io.", "write ghcr.io")]
    [InlineData("ghcr.io:0443", "leading zeros")]
    [InlineData("2130706433:5443", "write 127.0.0.1")]
    [InlineData("ghcr.io/org", "not a valid host name")]
    public void APatternThatIsNotACanonicalRegistryStopsTheStart(string pattern, string reason)
    {
        var e = Assert.Throws<FormatException>(() => new RegistryPolicy([], [pattern]));
        Assert.Contains("--deny-registry", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }
}

/// <summary>The guard itself, in a real SocketsHttpHandler, against a listener that must stay silent.</summary>
public sealed class ConnectGuardTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LoopbackIsRefusedByTheGuardedPoolAndReachedOnlyByTheConfiguredOne()
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
        var send = pools.For(Destination.ExemptUnsafe).GetAsync($"http://127.0.0.1:{port}/", Ct);
        using var accepted = await silent.AcceptTcpClientAsync(Ct);
        Assert.True(accepted.Connected);
    }

    [Fact]
    public void TrustBelongsToARegistryNameNotToAnAddress()
    {
        var guard = new ConnectGuard([Named("docker.io"), Named("registry.internal:5000")]);
        Assert.True(guard.IsExemptUnsafe(Named("registry-1.docker.io:443")));
        Assert.True(guard.IsExemptUnsafe(Named("REGISTRY.internal:5000")));
        Assert.False(guard.IsExemptUnsafe(Named("registry.internal")));
        Assert.False(guard.IsExemptUnsafe(Named("registry.internal:5001")));
    }
}
