namespace Tlogistry.Tests.Support.Clients;

/// <summary>
/// skopeo with a time limit. Registries here are plain-HTTP localhost, so TLS verification is off
/// by default; a later <c>--*-tls-verify=true</c> in the extra arguments wins. Host-wide login
/// state and registries.conf mirrors are kept out by pointing skopeo at an empty auth file
/// (REGISTRY_AUTH_FILE) and an empty registries.conf of its own (the hidden global
/// --registries-conf flag: skopeo 1.9 ignores CONTAINERS_REGISTRIES_CONF).
/// </summary>
public static class Skopeo
{
    private static readonly Lazy<TempDirectory> Sandbox = new(CreateSandbox);

    /// <summary><c>skopeo copy SRC DST</c>, e.g. <c>oci:DIR:tag</c> to <c>docker://127.0.0.1:PORT/library/alpine:3.16.0</c>.</summary>
    public static Task<ToolResult> CopyAsync(
        string source,
        string destination,
        IEnumerable<string>? extraArgs = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(
            ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", .. extraArgs ?? [], source, destination],
            timeout,
            cancellationToken);

    /// <summary>The manifest exactly as the registry served it (<c>skopeo inspect --raw</c>).</summary>
    public static async Task<byte[]> InspectRawAsync(
        string image,
        IEnumerable<string>? extraArgs = null,
        CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(["inspect", "--raw", "--tls-verify=false", .. extraArgs ?? [], image], null, cancellationToken);
        return result.StandardOutputBytes;
    }

    /// <summary>The manifest digest (<c>skopeo inspect --format {{.Digest}}</c>).</summary>
    public static async Task<string> InspectDigestAsync(
        string image,
        IEnumerable<string>? extraArgs = null,
        CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(
            ["inspect", "--tls-verify=false", "--format", "{{.Digest}}", .. extraArgs ?? [], image], null, cancellationToken);
        return result.StandardOutput.Trim();
    }

    /// <summary>Any skopeo command; throws with stdout and stderr on failure.</summary>
    public static Task<ToolResult> RunAsync(
        IEnumerable<string> arguments,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) =>
        Tool.RunAsync(
            Tool.Require("skopeo", "skopeo"),
            ["--registries-conf", Sandbox.Value.Combine("registries.conf"), .. arguments],
            timeout,
            new Dictionary<string, string>
            {
                ["REGISTRY_AUTH_FILE"] = Sandbox.Value.Combine("auth.json"),
                // Blob staging goes here instead of /var/tmp.
                ["TMPDIR"] = Sandbox.Value.Path,
            },
            cancellationToken: cancellationToken);

    private static TempDirectory CreateSandbox()
    {
        var dir = new TempDirectory("tlogistry-skopeo-");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => dir.Dispose();
        File.WriteAllText(dir.Combine("auth.json"), """{"auths":{}}""");
        File.WriteAllText(dir.Combine("registries.conf"), "unqualified-search-registries = []\n");
        return dir;
    }
}
