using k8s;
using k8s.Models;

namespace Tlogistry.Tests.Deploy;

/// <summary>
/// deploy/kubernetes/node-mirror: read strictly into the Kubernetes API types, built with
/// <c>kubectl kustomize</c> offline, every name between objects resolved (the NodePort Service
/// selects the proxy pods of both modes, the DaemonSet mounts the ConfigMap keys its script
/// reads and the node's /etc where the script writes), and the script run for real against a
/// node root: the files it writes are the ones a node's runtime reads.
/// </summary>
public sealed class NodeMirrorManifestTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Dir => RepositoryRoot.Combine("deploy", "kubernetes", "node-mirror");

    [Fact]
    public async Task KubectlKustomizeBuildsEveryListedDocumentStrictly()
    {
        var listed = await LoadAsync();
        Assert.Equal(["ConfigMap/tlogistry-node-mirror", "DaemonSet/tlogistry-node-mirror", "Service/tlogistry-node-mirror"], listed.Select(o => $"{o.Kind}/{o.Metadata.Name}").Order(StringComparer.Ordinal));
        Assert.All(listed, o => Assert.Null(o.Metadata.NamespaceProperty));
        var files = Directory.GetFiles(Dir, "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(["configmap.yaml", "daemonset.yaml", "kustomization.yaml", "service.yaml"], files);
    }

    [Theory]
    [InlineData("embedded", "deployment.yaml")]
    [InlineData("shared", "proxy.yaml")]
    public async Task TheNodePortSelectsTheProxyPodsOfEachModeAndIsWhereNodesPull(string mode, string file)
    {
        var objects = await LoadAsync();
        var service = objects.OfType<V1Service>().Single();
        var proxy = KubernetesYaml.LoadAllFromString(File.ReadAllText(RepositoryRoot.Combine("deploy", "kubernetes", mode, file)), strict: true)
            .OfType<V1Deployment>().Single(d => d.Spec.Template.Metadata.Labels.TryGetValue("app.kubernetes.io/component", out var c) && c == "proxy");
        Assert.All(service.Spec.Selector, l => Assert.Equal(l.Value, proxy.Spec.Template.Metadata.Labels[l.Key]));
        var port = Assert.Single(service.Spec.Ports);
        Assert.Contains(proxy.Spec.Template.Spec.Containers.SelectMany(c => c.Ports), p => p.Name == port.TargetPort.Value);

        var setup = Setup(objects);
        var proxyUrl = new Uri(setup.Env.Single(e => e.Name == "PROXY").Value);
        Assert.Equal(port.NodePort, proxyUrl.Port);
        Assert.True(System.Net.IPAddress.IsLoopback(System.Net.IPAddress.Parse(proxyUrl.Host)));
    }

    [Fact]
    public async Task TheDaemonSetRunsTheConfigMapsScriptPrivilegedOnTheNodesEtc()
    {
        var objects = await LoadAsync();
        var daemonSet = objects.OfType<V1DaemonSet>().Single();
        var configMap = objects.OfType<V1ConfigMap>().Single();
        var setup = Setup(objects);
        Assert.True(setup.SecurityContext.Privileged);
        var env = setup.Env.ToDictionary(e => e.Name, e => e.Value);
        var volumes = daemonSet.Spec.Template.Spec.Volumes.ToDictionary(v => v.Name);

        var config = setup.VolumeMounts.Single(m => m.MountPath == env["CONFIG_DIR"]);
        Assert.Equal(configMap.Metadata.Name, volumes[config.Name].ConfigMap.Name);
        Assert.Equal(["/bin/sh", $"{env["CONFIG_DIR"]}/setup.sh"], setup.Command);
        foreach (var key in new[] { "setup.sh", "hosts.toml", "registries" })
        {
            Assert.Contains(key, configMap.Data.Keys);
        }

        var etc = setup.VolumeMounts.Single(m => m.MountPath == env["HOST_ROOT"] + "/etc");
        Assert.Equal("/etc", volumes[etc.Name].HostPath.Path);

        // The pod's long-running container holds nothing of the node.
        var pause = Assert.Single(daemonSet.Spec.Template.Spec.Containers);
        Assert.Null(pause.VolumeMounts);
        Assert.False(pause.SecurityContext.AllowPrivilegeEscalation);
        Assert.Equal(daemonSet.Spec.Selector.MatchLabels, daemonSet.Spec.Template.Metadata.Labels);
    }

    [Fact]
    public async Task TheScriptWritesEachRuntimesFilesOnceAndWarnsWithoutConfigPath()
    {
        var configMap = (await LoadAsync()).OfType<V1ConfigMap>().Single();
        using var node = new TempDirectory("tlogistry-node-");
        Directory.CreateDirectory(node.Combine("etc", "containerd"));
        Directory.CreateDirectory(node.Combine("etc", "crio"));

        var first = await NodeSetup.RunAsync(configMap, node.Path, "http://127.0.0.1:30500", Ct);
        Assert.Contains("config_path", first.StandardError, StringComparison.Ordinal);
        foreach (var registry in configMap.Data["registries"].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var hosts = await File.ReadAllTextAsync(node.Combine("etc", "containerd", "certs.d", registry, "hosts.toml"), Ct);
            Assert.StartsWith("server = \"http://127.0.0.1:30500\"\n", hosts, StringComparison.Ordinal);
            Assert.Contains("[host.\"http://127.0.0.1:30500\"]", hosts, StringComparison.Ordinal);
        }

        var dropIn = await File.ReadAllTextAsync(node.Combine("etc", "containers", "registries.conf.d", "50-tlogistry-mirror.conf"), Ct);
        Assert.Contains("prefix = \"ghcr.io\"\nlocation = \"127.0.0.1:30500/ghcr.io\"\ninsecure = true\n", dropIn, StringComparison.Ordinal);

        // With config_path set, a second run changes nothing and has nothing to say.
        await File.WriteAllTextAsync(node.Combine("etc", "containerd", "config.toml"), "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"\n", Ct);
        var again = await NodeSetup.RunAsync(configMap, node.Path, "http://127.0.0.1:30500", Ct);
        Assert.Equal("", again.StandardOutput);
        Assert.DoesNotContain("config_path", again.StandardError, StringComparison.Ordinal);
        Assert.Contains("wrote", first.StandardOutput, StringComparison.Ordinal);
    }

    private static V1Container Setup(IEnumerable<IKubernetesObject<V1ObjectMeta>> objects) =>
        Assert.Single(objects.OfType<V1DaemonSet>().Single().Spec.Template.Spec.InitContainers);

    private static async Task<List<IKubernetesObject<V1ObjectMeta>>> LoadAsync()
    {
        var built = await Tool.RunAsync(Tool.Require("kubectl", "kubernetes-client"), ["kustomize", Dir], TimeSpan.FromSeconds(60), cancellationToken: Ct);
        return [.. KubernetesYaml.LoadAllFromString(built.StandardOutput, strict: true).Cast<IKubernetesObject<V1ObjectMeta>>()];
    }
}

/// <summary>Runs the node-mirror ConfigMap's setup.sh against a directory standing for a node's root.</summary>
internal static class NodeSetup
{
    public static async Task<ToolResult> RunAsync(V1ConfigMap configMap, string nodeRoot, string proxy, CancellationToken ct)
    {
        var config = Path.Combine(nodeRoot, "config");
        Directory.CreateDirectory(config);
        foreach (var (key, value) in configMap.Data)
        {
            await File.WriteAllTextAsync(Path.Combine(config, key), value, ct);
        }

        return await Tool.RunAsync(
            "/bin/sh",
            [Path.Combine(config, "setup.sh")],
            TimeSpan.FromSeconds(30),
            new Dictionary<string, string> { ["PROXY"] = proxy, ["HOST_ROOT"] = nodeRoot, ["CONFIG_DIR"] = config, ["PATH"] = "/usr/bin:/bin:/usr/sbin:/sbin" },
            cancellationToken: ct);
    }

    public static async Task<V1ConfigMap> ConfigMapAsync(CancellationToken ct)
    {
        var text = await File.ReadAllTextAsync(RepositoryRoot.Combine("deploy", "kubernetes", "node-mirror", "configmap.yaml"), ct);
        return KubernetesYaml.LoadAllFromString(text, strict: true).OfType<V1ConfigMap>().Single();
    }
}
