using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tlogistry.Store;

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
    public async Task ServeListensOnPORTKeepsPrivateKeysAndLogsOneLinePerRequest()
    {
        using var data = new TempDirectory();
        await using var registry = await DistributionRegistry.StartAsync(cancellationToken: Ct);
        var port = FreePort.Next();
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
    public async Task TlsAndTagPolicyFlagsServeHttpsWithHttp2OnPORT()
    {
        using var data = new TempDirectory();
        using var tls = new TestTls();
        var port = FreePort.Next();
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
        Assert.Contains($"serving HTTPS (HTTP/2 and HTTP/1.1) on port {port}", proxy.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("tag policy for all registries: mutable tags ^latest$ ^edge-; on mismatch serve-pinned", proxy.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("tag policy for docker.io: on mismatch fail", proxy.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--mutable-tag", "([", "--mutable-tag \"([\" is not a valid .NET regular expression")]
    [InlineData("--on-mismatch", "serve", "--on-mismatch must be fail or serve-pinned, got \"serve\"")]
    [InlineData("--policy", "ghcr.io:pinned=yes", "--policy expects REGISTRY:mutable-tag=REGEX")]
    [InlineData("--tls-cert", "server.crt", "--tls-cert and --tls-key go together")]
    public async Task ABadPolicyOrTlsFlagStopsTheStartWithTheReason(string flag, string value, string reason)
    {
        using var data = new TempDirectory();
        await AssertStartRefusedAsync(["serve", "--port", "0", "--data-dir", data.Path, flag, value], 1, reason);
    }

    [Fact]
    public async Task IndexRebuildOpensTheDataAndNeverSaysItListens()
    {
        using var data = new TempDirectory();
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync(null, "index", "rebuild", "--data-dir", data.Path);
        Assert.Equal(0, exitCode);
        Assert.Contains("index rebuild: done, 0 entries read, 0 sightings added", stderr, StringComparison.Ordinal);
        Assert.Contains($"tlogistry opened data in {data.Path};", stdout, StringComparison.Ordinal);
        Assert.Contains("; not serving", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("listening", stdout + stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AMalformedUpstreamFlagStopsTheStartWithTheReason()
    {
        using var data = new TempDirectory();
        await AssertStartRefusedAsync(["serve", "--port", "0", "--data-dir", data.Path, "--upstream", "docker.io"], 1, "--upstream expects HOST=URL");
    }

    [Fact]
    public async Task AMistypedFlagIsRefusedRatherThanIgnored()
    {
        using var data = new TempDirectory();
        await AssertStartRefusedAsync(["serve", "--prot", "9000", "--data-dir", data.Path], 2, "unknown argument \"--prot\"");
    }

    [Fact]
    public async Task ADamagedLogStopsTheStartWithTheReason()
    {
        using var data = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(data.Path, "log", "tile", "entries"));
        await AssertStartRefusedAsync(["serve", "--port", "0", "--data-dir", data.Path], 1, "no checkpoint");
    }

    [Fact]
    public async Task AnUnopenableIndexStopsTheStartWithTheReason()
    {
        using var data = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(data.Path, "index.db"));
        await AssertStartRefusedAsync(["serve", "--port", "0", "--data-dir", data.Path], 1, "unable to open database file");
    }

    [Fact]
    public async Task JsonLogsAreOneObjectPerLineWithTheRequestFieldsAsState()
    {
        using var data = new TempDirectory();
        await using var registry = await DistributionRegistry.StartAsync(cancellationToken: Ct);
        await using var proxy = await ServeProcess.StartAsync(data.Path, ["docker.io=" + registry.BaseUri], Ct, ["--log-format", "json"]);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        using (var missing = await http.GetAsync("/v2/alpine/manifests/not-there", Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        // A graceful stop flushes the console logger's queue.
        Assert.Equal(0, await proxy.StopAsync(Ct));
        var lines = proxy.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 3, proxy.StandardOutput);
        var entries = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(entries, e =>
        {
            Assert.EndsWith("Z", e.GetProperty("Timestamp").GetString(), StringComparison.Ordinal);
            Assert.True(DateTimeOffset.TryParse(e.GetProperty("Timestamp").GetString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var t) && t.Offset == TimeSpan.Zero);
            Assert.False(string.IsNullOrEmpty(e.GetProperty("Message").GetString()));
        });

        var request = Assert.Single(entries, e => e.GetProperty("EventId").GetInt32() == 100);
        Assert.Equal("Tlogistry.Serving.RequestLogging", request.GetProperty("Category").GetString());
        var state = request.GetProperty("State");
        Assert.Equal("GET", state.GetProperty("Method").GetString());
        Assert.Equal("/v2/alpine/manifests/not-there", state.GetProperty("Path").GetString());
        Assert.Equal(404, state.GetProperty("Status").GetInt32());
        Assert.Equal("404", state.GetProperty("UpstreamStatus").GetString());
        Assert.Equal("not_found", state.GetProperty("Outcome").GetString());
        Assert.True(state.GetProperty("ElapsedMs").GetDouble() > 0);
        Assert.Contains(entries, e => e.GetProperty("EventId").GetInt32() == 1 && e.GetProperty("State").TryGetProperty("Identity", out _));
    }

    [Fact]
    public async Task AnUnknownLogFormatStopsTheStartWithTheReason()
    {
        using var data = new TempDirectory();
        await AssertStartRefusedAsync(["serve", "--port", "0", "--data-dir", data.Path, "--log-format", "xml"], 1, "--log-format must be text or json, got \"xml\"");
    }

    [Fact]
    public async Task ARelativeOtlpEndpointStopsTheStartWithTheReason()
    {
        using var data = new TempDirectory();
        await AssertStartRefusedAsync(["serve", "--port", "0", "--data-dir", data.Path, "--otlp-endpoint", "collector:4318"], 1, "--otlp-endpoint must be an http(s) base URL");
    }


    [Fact]
    public async Task AnUnknownStoreStopsTheStartWithTheReason()
    {
        using var data = new TempDirectory();
        await AssertStartRefusedAsync(["serve", "--port", "0", "--data-dir", data.Path, "--store", "mysql=Host=db;Password=secret"], 1, "--store must be sqlite or postgres=CONNECTION STRING");
    }

    [Fact]
    public async Task APostgresStoreThatCannotBeReachedStopsTheStartWithTheReason()
    {
        using var data = new TempDirectory();
        Tlogistry.Signing.InstanceKey.LoadOrCreate(Path.Combine(data.Path, "signing-key.pem")).Dispose();
        var closed = FreePort.Next();
        await AssertStartRefusedAsync(["serve", "--port", "0", "--data-dir", data.Path, "--store", $"postgres=Host=127.0.0.1;Port={closed};Username=tlogistry;Timeout=3"], 1, $"127.0.0.1:{closed}");
    }

    [Fact]
    public async Task APostgresStoreAtANewerSchemaStopsTheStartWithTheReason()
    {
        using var data = new TempDirectory();
        Tlogistry.Signing.InstanceKey.LoadOrCreate(Path.Combine(data.Path, "signing-key.pem")).Dispose();
        await using var database = await PostgresDatabase.CreateAsync(Ct);
        var newer = PostgresMigrations.Latest + 1;
        await database.ExecAsync($"CREATE TABLE {PostgresMigrations.Table} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now()); INSERT INTO {PostgresMigrations.Table} (version) VALUES ({newer})");
        await AssertStartRefusedAsync(
            ["serve", "--port", "0", "--data-dir", data.Path, "--store", "postgres=" + database.ConnectionString],
            1,
            $"schema version {newer}, newer than the {PostgresMigrations.Latest} this tlogistry knows");
    }

    [GeneratedRegex(@"GET /v2/alpine/manifests/not-there status=404 upstream=404 outcome=not_found ms=\d")]
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
}
