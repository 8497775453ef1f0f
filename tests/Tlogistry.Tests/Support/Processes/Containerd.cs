namespace Tlogistry.Tests.Support.Processes;

/// <summary>
/// A private containerd daemon (Debian's package): its own root, state directory, socket and
/// config, with the CRI plugin off, so tests never touch the host's images or daemon. Registry
/// hosts come from <see cref="HostsDirectory"/> (one <c>hosts.toml</c> per registry, as on a
/// node's <c>config_path</c>), passed to <c>ctr --hosts-dir</c>. Running it needs root.
/// </summary>
internal sealed class Containerd : IAsyncDisposable
{
    private readonly TempDirectory _dir;
    private readonly ChildProcess _daemon;
    private readonly string _ctr;

    private Containerd(TempDirectory dir, ChildProcess daemon, string ctr)
    {
        _dir = dir;
        _daemon = daemon;
        _ctr = ctr;
    }

    public string Socket => _dir.Combine("containerd.sock");

    /// <summary>The <c>config_path</c> directory: <c>&lt;registry&gt;/hosts.toml</c>.</summary>
    public string HostsDirectory => _dir.Combine("certs.d");

    /// <summary>Skips the calling test unless this process runs as root (CI does).</summary>
    public static void RequireRoot()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Skip("containerd needs root; run the tests as root (CI does) to check pulls through containerd.");
        }
    }

    public static async Task<Containerd> StartAsync(CancellationToken cancellationToken)
    {
        RequireRoot();
        var executable = Tool.Require("containerd", "containerd");
        var ctr = Tool.Require("ctr", "containerd");
        var dir = new TempDirectory("tlogistry-ctrd-");
        try
        {
            Directory.CreateDirectory(dir.Combine("certs.d"));
            var config = dir.Combine("config.toml");
            await File.WriteAllTextAsync(config, $"""
                version = 2
                root = "{dir.Combine("root")}"
                state = "{dir.Combine("state")}"
                # Only the content and image stores are used: no CRI, no snapshotter that needs a kernel feature.
                disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
                  "io.containerd.internal.v1.tracing"]

                [grpc]
                  address = "{dir.Combine("containerd.sock")}"
                [ttrpc]
                  address = "{dir.Combine("containerd.sock.ttrpc")}"
                [debug]
                  address = ""
                [metrics]
                  address = ""
                [plugins."io.containerd.internal.v1.opt"]
                  path = "{dir.Combine("opt")}"

                """, cancellationToken);
            var daemon = ChildProcess.Start(executable, ["--config", config]);
            var started = new Containerd(dir, daemon, ctr);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (true)
            {
                if (daemon.HasExited)
                {
                    throw new InvalidOperationException($"containerd exited with {daemon.ExitCode}:\n{daemon.StandardError}");
                }

                if (File.Exists(started.Socket) && (await started.CtrAsync(["version"], check: false, cancellationToken: cancellationToken)).ExitCode == 0)
                {
                    return started;
                }

                if (DateTime.UtcNow > deadline)
                {
                    await started.DisposeAsync();
                    throw new TimeoutException($"containerd did not answer on {started.Socket}:\n{daemon.StandardError}");
                }

                await Task.Delay(100, cancellationToken);
            }
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    /// <summary>Writes <c>&lt;registry&gt;/hosts.toml</c>; containerd reads it on each pull.</summary>
    public void WriteHosts(string registry, string toml)
    {
        Directory.CreateDirectory(Path.Combine(HostsDirectory, registry));
        File.WriteAllText(Path.Combine(HostsDirectory, registry, "hosts.toml"), toml);
    }

    /// <summary><c>ctr --address SOCK ARGS</c>.</summary>
    public Task<ToolResult> CtrAsync(IEnumerable<string> arguments, bool check = true, CancellationToken cancellationToken = default) =>
        Tool.RunAsync(_ctr, ["--address", Socket, .. arguments], TimeSpan.FromMinutes(2), check: check, cancellationToken: cancellationToken);

    /// <summary><c>ctr content fetch --hosts-dir</c>: resolves the reference through the hosts files and stores the image record and its content.</summary>
    public Task<ToolResult> FetchAsync(string reference, bool check = true, CancellationToken cancellationToken = default) =>
        CtrAsync(["content", "fetch", "--hosts-dir", HostsDirectory, reference], check, cancellationToken);

    /// <summary>The target digest of an image record, from <c>ctr images ls</c>; null when there is none.</summary>
    public async Task<string?> ImageDigestAsync(string reference, CancellationToken cancellationToken = default)
    {
        var listed = await CtrAsync(["images", "ls"], cancellationToken: cancellationToken);
        foreach (var line in listed.StandardOutput.Split('\n').Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 3 && fields[0] == reference)
            {
                return fields[2];
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _daemon.DisposeAsync();
        _dir.Dispose();
    }
}
