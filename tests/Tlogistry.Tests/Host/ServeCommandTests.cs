using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Tlogistry.Tests.Support;

namespace Tlogistry.Tests.Host;

/// <summary>`tlogistry serve` run as a person runs it: a process with flags and environment.</summary>
[Trait("Category", "E2E")]
public sealed partial class ServeCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Dll => Path.Combine(AppContext.BaseDirectory, "tlogistry.dll");

    private static string Dotnet => Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "/usr/bin/env";

    private static IEnumerable<string> Args(params string[] args) =>
        Dotnet == "/usr/bin/env" ? ["dotnet", Dll, .. args] : [Dll, .. args];

    [Fact]
    public async Task Serve_listens_on_PORT_keeps_private_keys_and_logs_one_line_per_request()
    {
        using var data = new TempDirectory();
        await using var registry = await DistributionRegistry.StartAsync(cancellationToken: Ct);
        var port = FreePort();
        await using var proxy = ChildProcess.Start(
            Dotnet,
            Args("serve", "--data-dir", data.Path, "--upstream", "docker.io=" + registry.BaseUri),
            new Dictionary<string, string> { ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
        await WaitForAsync(http, proxy);

        using var home = await http.GetAsync("/", Ct);
        var html = await home.Content.ReadAsStringAsync(Ct);
        Assert.Equal("text/html", home.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<h1", html, StringComparison.Ordinal);
        Assert.Contains("transparently immutable", html, StringComparison.Ordinal);
        Assert.Matches("key:sha256:[0-9a-f]{64}", html);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/alpine/manifests/not-there");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "client-secret-token");
        using var missing = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data.Path, "signing-key.pem")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data.Path, "log", "log-key")));
        }

        // The request line is written after the response, behind the upstream warning for the same path.
        await WaitForOutputAsync(proxy, "/v2/alpine/manifests/not-there status=");
        var lines = proxy.StandardOutput.Split('\n').Where(l => l.Contains("/v2/alpine/manifests/not-there", StringComparison.Ordinal)).ToList();
        Assert.Contains(lines, l => RequestLine().IsMatch(l));
        Assert.DoesNotContain("client-secret-token", proxy.StandardOutput + proxy.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_and_tag_policy_flags_serve_https_with_http2_on_PORT()
    {
        using var data = new TempDirectory();
        using var tls = new TestTls();
        var port = FreePort();
        await using var proxy = ChildProcess.Start(
            Dotnet,
            Args(
                "serve", "--data-dir", data.Path, "--tls-cert", tls.CertPath, "--tls-key", tls.KeyPath,
                "--mutable-tag", "^latest$", "--mutable-tag", "^edge-", "--on-mismatch", "serve-pinned", "--policy", "index.docker.io:on-mismatch=fail"),
            new Dictionary<string, string> { ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        using var http = tls.Client(new Uri($"https://127.0.0.1:{port}/"), HttpVersion.Version20);
        await WaitForAsync(http, proxy);

        using var v2 = await http.GetAsync("/v2/", Ct);
        Assert.Equal(HttpVersion.Version20, v2.Version);
        Assert.Contains($"listening on https port {port}", proxy.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("tag policy for all registries: mutable tags ^latest$ ^edge-; on mismatch serve-pinned", proxy.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("tag policy for docker.io: on mismatch fail", proxy.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--mutable-tag", "([", "--mutable-tag \"([\" is not a valid .NET regular expression")]
    [InlineData("--on-mismatch", "serve", "--on-mismatch must be fail or serve-pinned, got \"serve\"")]
    [InlineData("--policy", "ghcr.io:pinned=yes", "--policy expects REGISTRY:mutable-tag=REGEX")]
    [InlineData("--tls-cert", "server.crt", "--tls-cert and --tls-key go together")]
    public async Task A_bad_policy_or_tls_flag_stops_the_start_with_the_reason(string flag, string value, string reason)
    {
        using var data = new TempDirectory();
        await AssertStartRefusedAsync(["serve", "--port", "0", "--data-dir", data.Path, flag, value], 1, reason);
    }

    [Fact]
    public async Task A_malformed_upstream_flag_stops_the_start_with_the_reason()
    {
        using var data = new TempDirectory();
        await AssertStartRefusedAsync(["serve", "--port", "0", "--data-dir", data.Path, "--upstream", "docker.io"], 1, "--upstream expects HOST=URL");
    }

    [Fact]
    public async Task A_mistyped_flag_is_refused_rather_than_ignored()
    {
        using var data = new TempDirectory();
        await AssertStartRefusedAsync(["serve", "--prot", "9000", "--data-dir", data.Path], 2, "unknown argument \"--prot\"");
    }

    [Fact]
    public async Task A_damaged_log_stops_the_start_with_the_reason()
    {
        using var data = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(data.Path, "log", "tile", "entries"));
        await AssertStartRefusedAsync(["serve", "--port", "0", "--data-dir", data.Path], 1, "no checkpoint");
    }

    [Fact]
    public async Task An_unopenable_index_stops_the_start_with_the_reason()
    {
        using var data = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(data.Path, "index.db"));
        await AssertStartRefusedAsync(["serve", "--port", "0", "--data-dir", data.Path], 1, "unable to open database file");
    }

    [GeneratedRegex(@"GET /v2/alpine/manifests/not-there status=404 upstream=404 outcome=error ms=\d")]
    private static partial Regex RequestLine();

    /// <summary>Runs <c>tlogistry</c> with <paramref name="args"/> and expects it to exit with the code and reason given.</summary>
    private static async Task AssertStartRefusedAsync(string[] args, int exitCode, string reason)
    {
        await using var proxy = ChildProcess.Start(Dotnet, Args(args));
        Assert.True(await proxy.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct));
        Assert.Equal(exitCode, proxy.ExitCode);
        Assert.Contains(reason, proxy.StandardError, StringComparison.Ordinal);
    }

    private static async Task WaitForAsync(HttpClient http, ChildProcess proxy)
    {
        for (var i = 0; i < 300; i++)
        {
            if (proxy.HasExited)
            {
                throw new InvalidOperationException("tlogistry exited: " + proxy.StandardError + proxy.StandardOutput);
            }

            try
            {
                using var r = await http.GetAsync("/v2/", Ct);
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100, Ct);
        }

        throw new TimeoutException("tlogistry did not start: " + proxy.StandardOutput + proxy.StandardError);
    }

    private static async Task WaitForOutputAsync(ChildProcess proxy, string text)
    {
        for (var i = 0; i < 100 && !proxy.StandardOutput.Contains(text, StringComparison.Ordinal); i++)
        {
            await Task.Delay(50, Ct);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
