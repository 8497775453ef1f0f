using System.Net;
using System.Net.Sockets;
using Tlogistry.Serving;

namespace Tlogistry.Tests.Host;

/// <summary>
/// <c>--listen</c> on <c>serve</c> and <c>log serve</c>: one interface, or every one by default.
/// 127.0.0.2 is a loopback address of its own on Linux, so "bound to 127.0.0.2 only" shows as
/// a refused connection to 127.0.0.1 on the same port, without leaving this machine.
/// </summary>
public sealed class ListenFlagTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(null, "every interface")]
    [InlineData("*", "every interface")]
    [InlineData("localhost", "localhost")]
    [InlineData("LOCALHOST", "localhost")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("::1", "::1")]
    [InlineData("[::1]", "::1")]
    [InlineData(" 10.1.2.3 ", "10.1.2.3")]
    public void ParseTakesEveryInterfaceLocalhostOrAnAddress(string? text, string described) =>
        Assert.Equal(described, ListenAddress.Parse(text).ToString());

    [Theory]
    [InlineData("example.com")]
    [InlineData("127.1")]
    [InlineData("2130706433")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("127.0.0.1:8080")]
    [InlineData("http://127.0.0.1")]
    public void ParseRefusesNamesShortFormsAndPorts(string text)
    {
        var e = Assert.Throws<FormatException>(() => ListenAddress.Parse(text));
        Assert.Contains("--listen must be an IP address", e.Message, StringComparison.Ordinal);
    }

    [Trait("Category", "E2E")]
    [Fact]
    public async Task ServeOnOneAddressAcceptsThereOnlyAndSaysSo()
    {
        using var data = new TempDirectory();
        await using var proxy = await ServeProcess.StartAsync(data.Path, [], Ct, ["--listen", "127.0.0.2"]);
        var port = proxy.BaseUri.Port;

        Assert.Equal(HttpStatusCode.OK, await StatusAsync("127.0.0.2", port));
        await AssertRefusedAsync("127.0.0.1", port);
        Assert.Contains($"tlogistry listening on port {port} of 127.0.0.2;", proxy.StandardOutput, StringComparison.Ordinal);
    }

    [Trait("Category", "E2E")]
    [Fact]
    public async Task ServeListensOnEveryInterfaceByDefault()
    {
        using var data = new TempDirectory();
        await using var proxy = await ServeProcess.StartAsync(data.Path, [], Ct);
        var port = proxy.BaseUri.Port;

        Assert.Equal(HttpStatusCode.OK, await StatusAsync("127.0.0.1", port));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync("127.0.0.2", port));
        Assert.Contains("of every interface;", proxy.StandardOutput, StringComparison.Ordinal);
    }

    [Trait("Category", "E2E")]
    [Fact]
    public async Task LogServeOnOneAddressAcceptsThereOnlyAndSaysSo()
    {
        using var data = new TempDirectory();
        await using var log = await LogServeProcess.StartAsync(data.Path, Ct, ["--listen", "127.0.0.2"]);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var checkpoint = await http.GetAsync(new Uri($"http://127.0.0.2:{log.Port}/checkpoint"), Ct);
        Assert.Equal(HttpStatusCode.OK, checkpoint.StatusCode);
        await AssertRefusedAsync("127.0.0.1", log.Port);
        Assert.Contains($"log listening on port {log.Port} of 127.0.0.2;", log.StandardOutput, StringComparison.Ordinal);
    }

    [Trait("Category", "E2E")]
    [Theory]
    [InlineData("serve")]
    [InlineData("log serve")]
    public async Task AListenAddressThatIsNotAnAddressStopsTheStart(string command)
    {
        using var data = new TempDirectory();
        var (exitCode, _, standardError) = await CliProcess.RunAsync(null, [.. command.Split(' '), "--port", "0", "--data-dir", data.Path, "--listen", "my-host.example"]);
        Assert.Equal(1, exitCode);
        Assert.Contains("--listen must be an IP address (e.g. 127.0.0.1 or ::1), localhost or *, got \"my-host.example\"", standardError, StringComparison.Ordinal);
    }

    private static async Task<HttpStatusCode> StatusAsync(string address, int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri($"http://{address}:{port}/v2/"), Ct);
        return response.StatusCode;
    }

    private static async Task AssertRefusedAsync(string address, int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var e = await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(IPAddress.Parse(address), port, Ct));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
    }
}
