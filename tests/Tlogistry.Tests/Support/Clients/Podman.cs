namespace Tlogistry.Tests.Support.Clients;

/// <summary>
/// podman with a private, throw-away image store and configuration, so tests see only what they
/// pulled and never touch the host's images, locks, logins or registry settings. Runs as root
/// without systemd, journald or network. Use fully qualified references (127.0.0.1:PORT/repo:tag):
/// /etc/containers/registries.conf.d short-name aliases still apply to bare names like "alpine".
/// </summary>
public sealed class Podman : IDisposable
{
    private const string DefaultRegistriesConf = """
        # No search registries: a short name fails at once instead of reaching out or prompting.
        unqualified-search-registries = []
        short-name-mode = "disabled"

        """;

    private readonly TempDirectory _dir = new("tlogistry-podman-");
    private readonly string _executable;
    private readonly Dictionary<string, string> _environment;
    private readonly string[] _globalArgs;

    /// <param name="registriesConf">registries.conf content, e.g. with a mirror; the default has no search registries.</param>
    public Podman(string? registriesConf = null)
    {
        try
        {
            _executable = Tool.Require("podman", "podman");
            Directory.CreateDirectory(_dir.Combine("vartmp"));
            RegistriesConfPath = _dir.Combine("registries.conf");
            File.WriteAllText(RegistriesConfPath, registriesConf ?? DefaultRegistriesConf);
            File.WriteAllText(_dir.Combine("containers.conf"), """
                [engine]
                cgroup_manager = "cgroupfs"
                events_logger = "file"

                """);
            File.WriteAllText(_dir.Combine("storage.conf"), $"""
                [storage]
                driver = "vfs"
                graphroot = "{_dir.Combine("root")}"
                runroot = "{_dir.Combine("run")}"

                """);
            File.WriteAllText(_dir.Combine("auth.json"), """{"auths":{}}""");

            _environment = new Dictionary<string, string>
            {
                // Only this containers.conf is read (not /usr/share, /etc or ~/.config ones).
                ["CONTAINERS_CONF"] = _dir.Combine("containers.conf"),
                // Host storage.conf options (overlay mount programs, extra stores) stay out.
                ["CONTAINERS_STORAGE_CONF"] = _dir.Combine("storage.conf"),
                // Host mirrors and search registries stay out; tests may rewrite this file.
                ["CONTAINERS_REGISTRIES_CONF"] = RegistriesConfPath,
                // podman refuses a REGISTRY_AUTH_FILE that does not exist, hence the empty one.
                ["REGISTRY_AUTH_FILE"] = _dir.Combine("auth.json"),
                // Blob downloads and build scratch go here instead of /var/tmp.
                ["TMPDIR"] = _dir.Combine("vartmp"),
            };
            _globalArgs =
            [
                // Private image store; a fresh one per instance, so inspect shows what this test pulled.
                "--root", _dir.Combine("root"),
                "--runroot", _dir.Combine("run"),
                // vfs copies layers instead of making overlay mounts: nothing to unmount, so the
                // temp dir can simply be deleted, and it works inside containers without fuse.
                "--storage-driver", "vfs",
                // libpod's state (alive lock, exit files, events) otherwise lives in the shared /run/libpod.
                "--tmpdir", _dir.Combine("tmp"),
                "--volumepath", _dir.Combine("volumes"),
                // Network definitions otherwise go to /etc/containers/networks.
                "--network-config-dir", _dir.Combine("networks"),
                // No systemd here: the systemd cgroup manager and journald would fail.
                "--cgroup-manager", "cgroupfs",
                "--events-backend", "file",
            ];
        }
        catch
        {
            _dir.Dispose();
            throw;
        }
    }

    /// <summary>The registries.conf this instance uses; rewrite it to add mirrors or insecure registries.</summary>
    public string RegistriesConfPath { get; }

    /// <summary><c>podman pull --tls-verify=false IMAGE</c> (plain-HTTP localhost registries).</summary>
    public Task<ToolResult> PullAsync(
        string image,
        IEnumerable<string>? extraArgs = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(["pull", "--tls-verify=false", .. extraArgs ?? [], image], cancellationToken: cancellationToken);

    /// <summary>Builds <paramref name="contextDirectory"/>/Dockerfile as <paramref name="tag"/>; returns the image ID as sha256:HEX.</summary>
    public async Task<string> BuildAsync(
        string contextDirectory,
        string tag,
        IEnumerable<string>? extraArgs = null,
        CancellationToken cancellationToken = default)
    {
        var iidFile = _dir.Combine($"iid-{Guid.NewGuid():N}");
        await RunAsync(
            ["build", "--tls-verify=false", "--iidfile", iidFile, "-t", tag, .. extraArgs ?? [], contextDirectory],
            cancellationToken: cancellationToken);
        return (await File.ReadAllTextAsync(iidFile, cancellationToken)).Trim();
    }

    /// <summary>
    /// <c>podman image inspect --format {{.Digest}}</c>: the manifest digest the image was first
    /// stored under in this store (a later pull of the same config by another manifest keeps it).
    /// </summary>
    public async Task<string> ImageDigestAsync(string image, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(["image", "inspect", "--format", "{{.Digest}}", image], cancellationToken: cancellationToken);
        return result.StandardOutput.Trim();
    }

    /// <summary>
    /// <c>podman run --detach</c>: starts a container of <paramref name="image"/> named
    /// <paramref name="name"/> and returns at once; remove it with <see cref="RemoveContainerAsync"/>.
    /// The container runs with runc and with open-file and process limits no higher than this
    /// process has: Debian's crun refuses hosts whose cgroup v2 hierarchy holds a controller
    /// while v1 hierarchies are mounted too, and podman's default limits (raised above the
    /// current hard limits) need CAP_SYS_RESOURCE, which a sandboxed root may lack.
    /// </summary>
    public async Task RunDetachedAsync(
        string name,
        string image,
        IEnumerable<string> options,
        IEnumerable<string> arguments,
        CancellationToken cancellationToken = default)
    {
        var limit = Math.Min(4096, Math.Min(HardLimit("Max open files"), HardLimit("Max processes")));
        await RunAsync(
            [
                "run", "--detach", "--name", name,
                "--runtime", Tool.Require("runc", "runc"),
                "--ulimit", $"nofile={limit}:{limit}", "--ulimit", $"nproc={limit}:{limit}",
                .. options, image, .. arguments,
            ],
            TimeSpan.FromMinutes(2),
            cancellationToken);
    }

    /// <summary><c>podman rm --force</c>; never throws, so that it can run in a finally block.</summary>
    public async Task RemoveContainerAsync(string name)
    {
        try
        {
            await Tool.RunAsync(_executable, [.. _globalArgs, "rm", "--force", "--time", "0", name], TimeSpan.FromSeconds(30), _environment, _dir.Path, check: false);
        }
        catch (TimeoutException)
        {
        }
    }

    private static int HardLimit(string name)
    {
        // /proc/self/limits: "Max open files            20000                20000                files"
        foreach (var line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith(name, StringComparison.Ordinal))
            {
                var fields = line[name.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return int.TryParse(fields[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var hard) ? hard : int.MaxValue;
            }
        }

        return int.MaxValue;
    }

    /// <summary>Any podman command against this instance's store; throws with stdout and stderr on failure.</summary>
    public Task<ToolResult> RunAsync(
        IEnumerable<string> arguments,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) =>
        Tool.RunAsync(_executable, [.. _globalArgs, .. arguments], timeout, _environment, _dir.Path, cancellationToken: cancellationToken);

    public void Dispose() => _dir.Dispose();
}
