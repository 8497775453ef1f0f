using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Tlogistry.Tests.Deploy;

/// <summary>
/// The image that <c>dotnet publish src/Tlogistry -t:PublishContainer</c> makes, built on a
/// stand-in for the ASP.NET Core runtime image (<see cref="RuntimeBaseImage"/>) in a real
/// Distribution registry, pulled through a running tlogistry with podman, then run with podman
/// as the proxy and as the shared log.
/// </summary>
[Trait("Category", "E2E")]
public sealed class ContainerImageTests
{
    private const string Tag = "e2e";
    private const string MappedHost = "images.example";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ThePublishedImagePullsThroughTlogistryAndRunsAsANonRootProxyOnPORTWithItsDataInTheDataVolume()
    {
        await using var registry = await DistributionRegistry.StartAsync(cancellationToken: Ct);
        using var work = new TempDirectory("tlogistry-image-");

        // The base image, where the build can reach it.
        var baseImage = $"{registry.HostPort}/dotnet/aspnet:10.0";
        var layout = new OciImageBuilder(work.Combine("base"));
        RuntimeBaseImage.Add(layout, "10.0", work.Path);
        await Skopeo.CopyAsync(layout.Reference("10.0"), "docker://" + baseImage, ["--preserve-digests"], TimeSpan.FromMinutes(2), Ct);

        // The SDK's container build, on the service as the test project built it.
        await Tool.RunAsync(
            Tool.Require("dotnet", "dotnet-sdk-10.0"),
            [
                "publish", RepositoryRoot.Combine("src", "Tlogistry", "Tlogistry.csproj"),
                "--configuration", RepositoryRoot.Configuration, "--no-build", "--nologo", "--disable-build-servers",
                "-t:PublishContainer", "-nodeReuse:false",
                $"-p:ContainerBaseImage={baseImage}",
                $"-p:ContainerRegistry={registry.HostPort}",
                $"-p:ContainerImageTag={Tag}",
                $"-p:PublishDir={work.Combine("publish")}/",
            ],
            TimeSpan.FromMinutes(3),
            new Dictionary<string, string>
            {
                // Plain http to the loopback registry; the SDK only assumes that for "localhost".
                ["DOTNET_CONTAINER_INSECURE_REGISTRIES"] = registry.HostPort,
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
                // The SDK keeps the layers it makes in $XDG_CACHE_HOME/dotnet/Containers: here, not in ~/.cache.
                ["XDG_CACHE_HOME"] = Directory.CreateDirectory(work.Combine("cache")).FullName,
            },
            cancellationToken: Ct);
        var published = await Skopeo.InspectDigestAsync($"docker://{registry.HostPort}/tlogistry:{Tag}", cancellationToken: Ct);

        // Pulled through tlogistry, which records the tag.
        await using var proxy = await ServeProcess.StartAsync(work.Combine("proxy-data"), [$"{MappedHost}={registry.BaseUri}"], Ct);
        var image = $"{proxy.BaseUri.Authority}/{MappedHost}/tlogistry:{Tag}";
        using var podman = new Podman();
        await podman.RunAsync(["pull", "--tls-verify=false", image], TimeSpan.FromMinutes(3), Ct);
        Assert.Equal(published, await podman.ImageDigestAsync(image, Ct));
        using (var http = new HttpClient { BaseAddress = proxy.BaseUri })
        {
            using var bundle = await http.GetAsync($"/tlog/bundle?image={MappedHost}/tlogistry:{Tag}", Ct);
            Assert.Equal(HttpStatusCode.OK, bundle.StatusCode);
        }

        // What the image says about itself.
        var inspected = await podman.RunAsync(["image", "inspect", image], cancellationToken: Ct);
        using var json = JsonDocument.Parse(inspected.StandardOutput);
        var config = json.RootElement[0].GetProperty("Config");
        Assert.Equal("1654", config.GetProperty("User").GetString());
        Assert.Equal(["8080/tcp"], config.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["dotnet", "/app/tlogistry.dll"], Strings(config.GetProperty("Entrypoint")));
        Assert.Equal(["serve"], Strings(config.GetProperty("Cmd")));
        var env = Strings(config.GetProperty("Env"));
        Assert.Contains("Tlogistry__DataDir=/data", env);
        Assert.Contains("ASPNETCORE_HTTP_PORTS=", env);
        var labels = config.GetProperty("Labels");
        Assert.Equal("tlogistry", labels.GetProperty("org.opencontainers.image.title").GetString());
        Assert.StartsWith("A read-only container registry front", labels.GetProperty("org.opencontainers.image.description").GetString(), StringComparison.Ordinal);
        Assert.Equal(baseImage, labels.GetProperty("org.opencontainers.image.base.name").GetString());

        // Run it: default arguments (serve), PORT from the environment, a read-only root with no
        // writable /tmp, and the data directory on a volume made writable for the image's user.
        var port = FreePort.Next();
        var data = Directory.CreateDirectory(work.Combine("volume")).FullName;
        var name = $"tlogistry-e2e-{Guid.NewGuid():N}";
        try
        {
            await podman.RunDetachedAsync(
                name,
                image,
                [
                    "--network", "host",
                    "--read-only", "--read-only-tmpfs=false",
                    "--env", $"PORT={port}",
                    "--env", $"Tlogistry__Upstreams__0={MappedHost}={registry.BaseUri}",
                    "--volume", $"{data}:/data:U",
                ],
                [],
                Ct);

            var service = new Uri($"http://127.0.0.1:{port}/");
            Assert.Equal("ok", await WaitForHealthAsync(podman, name, service));

            // The containerised proxy serves the same tag, pinned in its own log.
            Assert.Equal(published, await Skopeo.InspectDigestAsync($"docker://{service.Authority}/{MappedHost}/tlogistry:{Tag}", cancellationToken: Ct));
            Assert.True(File.Exists(Path.Combine(data, "signing-key.pem")), "the instance key is in the volume");
            Assert.True(File.Exists(Path.Combine(data, "log", "checkpoint")), "the embedded log is in the volume");
            var owner = await Tool.RunAsync(Tool.Require("stat", "coreutils"), ["-c", "%u", Path.Combine(data, "signing-key.pem")], cancellationToken: Ct);
            Assert.Equal(RuntimeBaseImage.AppUid.ToString(CultureInfo.InvariantCulture), owner.StandardOutput.Trim());

            await podman.RunAsync(["stop", "--time", "20", name], TimeSpan.FromSeconds(60), Ct);
            var exit = await podman.RunAsync(["inspect", "--format", "{{.State.ExitCode}}", name], cancellationToken: Ct);
            Assert.Equal("0", exit.StandardOutput.Trim());
            var logs = await podman.RunAsync(["logs", name], cancellationToken: Ct);
            var output = logs.StandardOutput + logs.StandardError;
            Assert.Contains($"tlogistry listening on port {port} of every interface; data in /data;", output, StringComparison.Ordinal);
            Assert.DoesNotContain("Overriding address", output, StringComparison.Ordinal);
        }
        finally
        {
            await podman.RemoveContainerAsync(name);
        }

        // The same image as the shared log (deploy/kubernetes/shared/log.yaml): arguments replace `serve`.
        var logPort = FreePort.Next();
        var logData = Directory.CreateDirectory(work.Combine("log-volume")).FullName;
        var logName = $"tlogistry-log-e2e-{Guid.NewGuid():N}";
        try
        {
            await podman.RunDetachedAsync(
                logName,
                image,
                ["--network", "host", "--read-only", "--read-only-tmpfs=false", "--env", $"PORT={logPort}", "--volume", $"{logData}:/data:U"],
                ["log", "serve", "--data-dir", "/data", "--public-url", "http://tlogistry-log"],
                Ct);
            var log = new Uri($"http://127.0.0.1:{logPort}/");
            Assert.Equal("ok", await WaitForHealthAsync(podman, logName, log));
            using var http = new HttpClient { BaseAddress = log };
            using var checkpoint = await http.GetAsync("/checkpoint", Ct);
            Assert.Equal(HttpStatusCode.OK, checkpoint.StatusCode);
            var trustedRoot = await http.GetStringAsync("/api/v1/trusted_root.json", Ct);
            Assert.Contains("http://tlogistry-log", trustedRoot, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(logData, "trusted_root.json")), "log serve writes its trusted root into the volume");
        }
        finally
        {
            await podman.RemoveContainerAsync(logName);
        }
    }

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    /// <summary>Polls /healthz until it answers; fails with the container's output when it exits or never answers.</summary>
    private static async Task<string> WaitForHealthAsync(Podman podman, string name, Uri service)
    {
        using var http = new HttpClient { BaseAddress = service, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        string last = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync("/healthz", Ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return await response.Content.ReadAsStringAsync(Ct);
                }

                last = $"/healthz answered {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException e) when (!Ct.IsCancellationRequested)
            {
                last = e.Message;
            }

            var state = await podman.RunAsync(["inspect", "--format", "{{.State.Status}}", name], cancellationToken: Ct);
            if (state.StandardOutput.Trim() is "exited" or "stopped")
            {
                break;
            }

            await Task.Delay(100, Ct);
        }

        var logs = await podman.RunAsync(["logs", name], cancellationToken: Ct);
        throw new InvalidOperationException($"the container never answered /healthz ({last})\nstdout:\n{logs.StandardOutput}\nstderr:\n{logs.StandardError}");
    }
}
