using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Tlogistry.Tests.Support.Processes;

/// <summary>The <c>auth: token:</c> settings of a Distribution registry (see <see cref="TokenIssuer.RegistryAuth"/>).</summary>
public sealed record RegistryTokenAuth(Uri Realm, string Service, string Issuer, string RootCertBundlePath);

/// <summary>
/// A real CNCF Distribution registry (/usr/bin/docker-registry) on 127.0.0.1, plain HTTP or
/// HTTPS with a <see cref="TestTls"/> certificate, filesystem storage in a temp directory,
/// deletes enabled, optionally behind token auth.
/// </summary>
public sealed class DistributionRegistry : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private const int BindAttempts = 5;

    private readonly ChildProcess _process;
    private readonly TempDirectory _dir;
    private readonly TestTls? _tls;

    private DistributionRegistry(ChildProcess process, TempDirectory dir, int port, TestTls? tls)
    {
        _process = process;
        _dir = dir;
        _tls = tls;
        HostPort = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}");
        BaseUri = new Uri($"{(tls is null ? "http" : "https")}://{HostPort}/");
    }

    /// <summary>http://127.0.0.1:port/, or https:// when started with a certificate.</summary>
    public Uri BaseUri { get; }

    /// <summary>127.0.0.1:port, as image references want it.</summary>
    public string HostPort { get; }

    /// <summary>The storage driver's root, for tests that tamper with stored blobs.</summary>
    public string DataDirectory => _dir.Combine("data");

    /// <summary>The registry's access log so far.</summary>
    public string StandardOutput => _process.StandardOutput;

    /// <summary>The registry's warnings and errors so far.</summary>
    public string StandardError => _process.StandardError;

    public static async Task<DistributionRegistry> StartAsync(
        RegistryTokenAuth? tokenAuth = null,
        Uri? redirectBaseUrl = null,
        TestTls? tls = null,
        CancellationToken cancellationToken = default)
    {
        var executable = Tool.Require("docker-registry", "docker-registry");
        var dir = new TempDirectory("tlogistry-registry-");
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                // The port is free when probed but could be taken before the registry binds it;
                // that shows up as an early exit with "address already in use", so try another.
                var port = FreePort.Next();
                var config = dir.Combine("config.yml");
                await File.WriteAllTextAsync(config, Config(dir.Combine("data"), port, tokenAuth, redirectBaseUrl, tls), cancellationToken);
                var process = ChildProcess.Start(executable, ["serve", config], workingDirectory: dir.Path);
                var registry = new DistributionRegistry(process, dir, port, tls);
                var failure = await registry.WaitUntilReadyAsync(cancellationToken);
                if (failure is null)
                {
                    return registry;
                }

                await process.DisposeAsync();
                var stderr = process.StandardError;
                if (attempt < BindAttempts && stderr.Contains("address already in use", StringComparison.Ordinal))
                {
                    continue;
                }

                throw new InvalidOperationException($"docker-registry did not become ready: {failure}\nstderr:\n{stderr}");
            }
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>A client for pushing and reading directly, trusting the registry's certificate when it has one.</summary>
    public HttpClient Client() => _tls is null
        ? new HttpClient { BaseAddress = BaseUri }
        : _tls.Client(BaseUri, HttpVersion.Version11);

    private static string Config(string dataDirectory, int port, RegistryTokenAuth? tokenAuth, Uri? redirectBaseUrl, TestTls? tls)
    {
        // JSON string literals are valid YAML double-quoted scalars, which avoids YAML escaping rules.
        static string Q(string value) => JsonSerializer.Serialize(value);

        var yaml = new StringBuilder();
        yaml.Append(CultureInfo.InvariantCulture, $"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {Q(dataDirectory)}
              delete:
                enabled: true
              maintenance:
                uploadpurging:
                  enabled: false
            http:
              addr: {Q($"127.0.0.1:{port}")}
              secret: {Q(Convert.ToHexString(RandomNumberGenerator.GetBytes(16)))}

            """);
        if (tls is not null)
        {
            // Appended under http: (the last key above), so indented as its child.
            yaml.Append(CultureInfo.InvariantCulture, $"""
                  tls:
                    certificate: {Q(tls.CertPath)}
                    key: {Q(tls.KeyPath)}

                """);
        }

        if (tokenAuth is not null)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"""
                auth:
                  token:
                    realm: {Q(tokenAuth.Realm.ToString())}
                    service: {Q(tokenAuth.Service)}
                    issuer: {Q(tokenAuth.Issuer)}
                    rootcertbundle: {Q(tokenAuth.RootCertBundlePath)}

                """);
        }

        if (redirectBaseUrl is not null)
        {
            // Blob GETs then answer 307 to baseurl + storage path, as a CDN-backed registry does.
            yaml.Append(CultureInfo.InvariantCulture, $"""
                middleware:
                  storage:
                    - name: redirect
                      options:
                        baseurl: {Q(redirectBaseUrl.ToString())}

                """);
        }

        return yaml.ToString();
    }

    /// <summary>Polls GET /v2/ until it answers 200 or 401; returns why not, or null when ready.</summary>
    private async Task<string?> WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        using var http = Client();
        http.Timeout = TimeSpan.FromSeconds(2);
        var deadline = DateTime.UtcNow + StartTimeout;
        var lastError = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                return $"exited with {_process.ExitCode}";
            }

            try
            {
                using var response = await http.GetAsync(new Uri(BaseUri, "v2/"), cancellationToken);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return null;
                }

                lastError = $"GET /v2/ answered {(int)response.StatusCode}";
            }
            catch (HttpRequestException ex)
            {
                lastError = ex.Message;
            }
            catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                lastError = ex.Message;
            }

            await Task.Delay(50, cancellationToken);
        }

        return $"timed out after {StartTimeout.TotalSeconds:0} s ({lastError})";
    }
}
