using Tlogistry.Oci;

namespace Tlogistry.Tests.Oci;

public sealed class RegistryHostTests
{
    /// <summary>input, and its one name; or, when the name is null, a fragment the refusal must contain.</summary>
    public static TheoryData<string, string?, string> Cases => new()
    {
        { "ghcr.io", "ghcr.io", "" },
        { "GHCR.IO:443", "ghcr.io", "" },
        { "ghcr.io:8443", "ghcr.io:8443", "" },
        { "Registry-1.Docker.Io:443", "docker.io", "" },
        { "docker.io:5000", "docker.io:5000", "" },
        { "registry-1.docker.io:5000", "registry-1.docker.io:5000", "" },
        { "10.0.0.1:443", "10.0.0.1", "" },
        { "[2001:db8::1]:443", "[2001:db8::1]", "" },
        { "[::1]:5000", "[::1]:5000", "" },
        { "[2001:db8:0:1:0:0:0:1]", null, "[2001:db8:0:1::1]" },
        { "[2001:0db8::1]", null, "[2001:db8::1]" },
        { "[fe80::1%eth0]", null, "zone ids" },
        { "[::a00:1]", null, "write 10.0.0.1" },
        { "10.1", null, "write 10.0.0.1" },
        { "167772161", null, "write 10.0.0.1" },
        { "012.0.0.1", null, "write 10.0.0.1" },
        { "0xa.0.0.1", null, "write 10.0.0.1" },
        { "0x0a000001", null, "write 10.0.0.1" },
        { "10.0.0.1.", null, "write 10.0.0.1" },
        { "4294967296", null, "neither a host name" },
        { "1.2.3.4.5", null, "neither a host name" },
        { "08.0.0.1", null, "neither a host name" },
        { "ghcr.io:65536", null, "1 to 65535" },
        { "ghcr.io:0", null, "1 to 65535" },
        { "ghcr.io:+443", null, "1 to 65535" },
        { new string('a', 64) + ".io", null, "1 to 63" },
        { new string('a', 400), null, "longer than 253" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReadsOneNameOrNamesTheCanonicalSpelling(string input, string? canonical, string refusal)
    {
        var ok = RegistryHost.TryParse(input, out var host, out var error);
        if (canonical is null)
        {
            Assert.False(ok, host?.Value);
            Assert.Contains(refusal, error, StringComparison.Ordinal);
            return;
        }

        Assert.True(ok, error);
        Assert.Equal(canonical, host!.Value);
        Assert.True(RegistryHost.TryParse(host.Value, out var again, out _) && again.Equals(host));
    }
}
