using System.Text.RegularExpressions;
using System.Xml.Linq;
using k8s;
using k8s.Models;
using Tlogistry.Commands;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Tlogistry.Tests.Deploy;

/// <summary>
/// deploy/kubernetes: every document read strictly into the Kubernetes API types (an unknown or
/// misspelt field fails), built with <c>kubectl kustomize</c> (offline), and every name that one
/// object uses to reach another (selectors, ports, volumes, claims, secrets, the log's URL,
/// <c>$(VAR)</c> in arguments) resolved; container arguments are parsed by tlogistry's own CLI.
/// </summary>
public sealed partial class KubernetesManifestTests
{
    public static readonly TheoryData<string> Modes = new() { "embedded", "shared" };

    /// <summary>Objects the shared mode uses but leaves to the operator; secrets.example.yaml shows each.</summary>
    private const string ExamplesFile = "secrets.example.yaml";

    /// <summary>Flags the manifests pass that a build of the CLI without the PostgreSQL store does not define.</summary>
    private static readonly string[] StoreFlag = ["--store"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Modes))]
    public void EveryFileIsListedAndEveryDocumentIsAKnownKubernetesObject(string mode)
    {
        var dir = Directory(mode);
        var kustomization = Kustomization.Read(dir);
        var files = System.IO.Directory.GetFiles(dir, "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var expected = kustomization.Resources.Append("kustomization.yaml");
        if (mode == "shared")
        {
            expected = expected.Append(ExamplesFile);
        }

        Assert.Equal(expected.Order(StringComparer.Ordinal), files);
        foreach (var file in files.Where(f => f != "kustomization.yaml"))
        {
            var objects = KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(dir, file!)), strict: true);
            Assert.NotEmpty(objects);
            foreach (var o in objects.Cast<IKubernetesObject<V1ObjectMeta>>())
            {
                Assert.False(string.IsNullOrEmpty(o.ApiVersion), $"{file}: apiVersion");
                Assert.False(string.IsNullOrEmpty(o.Kind), $"{file}: kind");
                Assert.Matches(DnsLabel(), o.Metadata?.Name ?? "");
                Assert.Null(o.Metadata!.NamespaceProperty);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task KubectlKustomizeBuildsTheDirectoryOfflineWithTheImageOverride(string mode)
    {
        var dir = Directory(mode);
        var kustomization = Kustomization.Read(dir);
        var built = await Tool.RunAsync(Tool.Require("kubectl", "kubernetes-client"), ["kustomize", dir], TimeSpan.FromSeconds(60), cancellationToken: Ct);
        var objects = KubernetesYaml.LoadAllFromString(built.StandardOutput, strict: true).Cast<IKubernetesObject<V1ObjectMeta>>().ToList();

        Assert.Equal(
            Load(mode).Select(o => $"{o.Kind}/{o.Metadata.Name}").Order(StringComparer.Ordinal),
            objects.Select(o => $"{o.Kind}/{o.Metadata.Name}").Order(StringComparer.Ordinal));
        var image = Assert.Single(kustomization.Images);
        Assert.Equal("tlogistry", image.Name);
        var containers = objects.OfType<V1Deployment>().SelectMany(d => d.Spec.Template.Spec.Containers).ToList();
        Assert.NotEmpty(containers);
        Assert.All(containers, c => Assert.Equal($"{image.NewName}:{image.NewTag}", c.Image));

        // A version tag with IfNotPresent: every node runs the build named, never a stale "latest".
        Assert.Matches(@"^\d+\.\d+\.\d+$", image.NewTag);
        Assert.All(containers, c => Assert.Equal("IfNotPresent", c.ImagePullPolicy));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void NamesUsedBetweenObjectsResolve(string mode)
    {
        var objects = Load(mode);
        var deployments = objects.OfType<V1Deployment>().ToList();
        var claims = objects.OfType<V1PersistentVolumeClaim>().Select(c => c.Metadata.Name).ToHashSet();
        var external = mode == "shared" ? LoadFile(mode, ExamplesFile) : [];
        Assert.NotEmpty(deployments);

        foreach (var deployment in deployments)
        {
            var pod = deployment.Spec.Template;
            var where = $"Deployment {deployment.Metadata.Name}";
            Assert.All(deployment.Spec.Selector.MatchLabels, l => Assert.Equal(l.Value, pod.Metadata.Labels[l.Key]));

            var volumes = pod.Spec.Volumes.ToDictionary(v => v.Name);
            var mounted = pod.Spec.Containers.SelectMany(c => c.VolumeMounts).Select(m => m.Name).ToHashSet();
            Assert.Equal(volumes.Keys.Order(StringComparer.Ordinal), mounted.Order(StringComparer.Ordinal));
            foreach (var volume in volumes.Values)
            {
                if (volume.PersistentVolumeClaim is { } claim)
                {
                    Assert.Contains(claim.ClaimName, claims);
                }

                if (volume.Secret is { } secret)
                {
                    Assert.Contains(external.OfType<V1Secret>(), s => s.Metadata.Name == secret.SecretName);
                }

                if (volume.ConfigMap is { } configMap)
                {
                    Assert.Contains(external.OfType<V1ConfigMap>(), m => m.Metadata.Name == configMap.Name);
                }
            }

            foreach (var container in pod.Spec.Containers)
            {
                var ports = container.Ports.Select(p => p.Name).ToHashSet();
                foreach (var probe in new[] { container.StartupProbe, container.LivenessProbe, container.ReadinessProbe })
                {
                    Assert.NotNull(probe);
                    Assert.Contains(probe.HttpGet.Port.Value, ports);
                }

                var env = (container.Env ?? []).ToDictionary(e => e.Name);
                foreach (Match m in VariableReference().Matches(string.Join(' ', container.Args)))
                {
                    Assert.True(env.ContainsKey(m.Groups[1].Value), $"{where}: $({m.Groups[1].Value}) in the arguments names no variable of the container");
                }

                foreach (var secretRef in env.Values.Select(e => e.ValueFrom?.SecretKeyRef).OfType<V1SecretKeySelector>())
                {
                    var secret = Assert.Single(external.OfType<V1Secret>(), s => s.Metadata.Name == secretRef.Name);
                    Assert.Contains(secretRef.Key, secret.StringData.Keys);
                }

                foreach (var mount in container.VolumeMounts.Where(m => m.SubPath is not null))
                {
                    var secret = Assert.Single(external.OfType<V1Secret>(), s => s.Metadata.Name == volumes[mount.Name].Secret?.SecretName);
                    Assert.Contains(mount.SubPath, secret.StringData.Keys);
                }
            }
        }

        foreach (var service in objects.OfType<V1Service>())
        {
            var target = Assert.Single(deployments, d => service.Spec.Selector.All(l => d.Spec.Template.Metadata.Labels.TryGetValue(l.Key, out var v) && v == l.Value));
            Assert.All(service.Spec.Ports, p => Assert.Contains(
                target.Spec.Template.Spec.Containers.SelectMany(c => c.Ports),
                cp => cp.Name == p.TargetPort.Value));
        }

        foreach (var budget in objects.OfType<V1PodDisruptionBudget>())
        {
            // One pod at a time, at any replica count: a budget never blocks a drain for good.
            var target = Assert.Single(deployments, d => budget.Spec.Selector.MatchLabels.All(l => d.Spec.Template.Metadata.Labels.TryGetValue(l.Key, out var v) && v == l.Value));
            Assert.Null(budget.Spec.MinAvailable);
            Assert.Equal("1", budget.Spec.MaxUnavailable.Value);
            Assert.True(target.Spec.Replicas > 1);
        }

        foreach (var ingress in objects.OfType<V1Ingress>())
        {
            foreach (var backend in ingress.Spec.Rules.SelectMany(r => r.Http.Paths).Select(p => p.Backend.Service))
            {
                var service = Assert.Single(objects.OfType<V1Service>(), s => s.Metadata.Name == backend.Name);
                Assert.Contains(service.Spec.Ports, p => p.Name == backend.Port.Name);
            }
        }

        foreach (var policy in objects.OfType<V1NetworkPolicy>())
        {
            var target = Assert.Single(deployments, d => policy.Spec.PodSelector.MatchLabels.All(l => d.Spec.Template.Metadata.Labels.TryGetValue(l.Key, out var v) && v == l.Value));
            var ports = target.Spec.Template.Spec.Containers.SelectMany(c => c.Ports).Select(p => p.Name).ToHashSet();
            Assert.All(policy.Spec.Ingress.SelectMany(r => r.Ports), p => Assert.Contains(p.Port.Value, ports));
            foreach (var peer in policy.Spec.Ingress.SelectMany(r => r.FromProperty ?? []).Where(p => p.PodSelector is not null))
            {
                Assert.Single(deployments, d => peer.PodSelector.MatchLabels.All(l => d.Spec.Template.Metadata.Labels.TryGetValue(l.Key, out var v) && v == l.Value));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void PodsRunAsTheImageUserOnAReadOnlyRootWithDataAndTmpMountedAndBoundedMemory(string mode)
    {
        var user = long.Parse(ImageUser(), System.Globalization.CultureInfo.InvariantCulture);
        foreach (var deployment in Load(mode).OfType<V1Deployment>())
        {
            var pod = deployment.Spec.Template.Spec;
            Assert.True(pod.SecurityContext.RunAsNonRoot);
            Assert.Equal(user, pod.SecurityContext.RunAsUser);
            Assert.Equal(user, pod.SecurityContext.FsGroup);
            Assert.False(pod.AutomountServiceAccountToken);
            foreach (var container in pod.Containers)
            {
                Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
                Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
                Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
                var mounts = container.VolumeMounts.Select(m => m.MountPath).ToHashSet();
                Assert.Contains("/data", mounts);
                Assert.Contains("/tmp", mounts);
                Assert.True(container.Resources.Limits.ContainsKey("memory"));
                Assert.True(container.Resources.Requests.ContainsKey("memory"));
                Assert.True(container.Resources.Requests.ContainsKey("cpu"));

                // The port the service is told to use is the one the pod declares and the image exposes;
                // a second one, metrics, is the --metrics-port the container is given.
                var http = Assert.Single(container.Ports, p => p.Name == "http");
                Assert.Equal(8080, http.ContainerPort);
                Assert.Equal("8080", Assert.Single(container.Env, e => e.Name == "PORT").Value);
                if (container.Ports.SingleOrDefault(p => p.Name == "metrics") is { } metrics)
                {
                    Assert.Equal(metrics.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), Flag(container.Args, "--metrics-port"));
                }

                Assert.Equal(container.Ports.Count, container.Ports.Count(p => p.Name is "http" or "metrics"));
            }
        }
    }

    [Fact]
    public void EmbeddedModeIsOneReplicaRecreatedOnItsPersistentVolume()
    {
        var objects = Load("embedded");
        var deployment = Assert.Single(objects.OfType<V1Deployment>());
        Assert.Equal(1, deployment.Spec.Replicas);
        Assert.Equal("Recreate", deployment.Spec.Strategy.Type);
        var container = Assert.Single(deployment.Spec.Template.Spec.Containers);
        Assert.Equal(["serve", "--data-dir", "/data"], container.Args);
        Assert.Equal("/healthz", container.StartupProbe.HttpGet.Path);
        Assert.Equal("/healthz", container.LivenessProbe.HttpGet.Path);
        Assert.Equal("/readyz", container.ReadinessProbe.HttpGet.Path);

        var data = Assert.Single(container.VolumeMounts, m => m.MountPath == "/data");
        var claim = deployment.Spec.Template.Spec.Volumes.Single(v => v.Name == data.Name).PersistentVolumeClaim;
        var pvc = Assert.Single(objects.OfType<V1PersistentVolumeClaim>());
        Assert.Equal(pvc.Metadata.Name, claim.ClaimName);
        Assert.Equal(["ReadWriteOnce"], pvc.Spec.AccessModes);
        Assert.Single(objects.OfType<V1Service>());
    }

    [Fact]
    public void SharedModeRunsThreeStatelessProxiesOnPostgreSQLTheSharedLogAndOneKey()
    {
        var objects = Load("shared");
        var external = LoadFile("shared", ExamplesFile);
        var proxy = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "tlogistry");
        var log = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "tlogistry-log");

        Assert.Equal(3, proxy.Spec.Replicas);
        var p = Assert.Single(proxy.Spec.Template.Spec.Containers);
        Assert.Equal("serve", p.Args[0]);

        // The store setting, password included, only in the environment, and it is a whole one: postgres=….
        Assert.DoesNotContain("--store", p.Args);
        Assert.DoesNotContain(p.Args, a => a.Contains("$(", StringComparison.Ordinal) || a.Contains("Password", StringComparison.OrdinalIgnoreCase));
        var store = p.Env.Single(e => e.Name == "Tlogistry__Store").ValueFrom.SecretKeyRef;
        var storeSecret = Assert.Single(external.OfType<V1Secret>(), s => s.Metadata.Name == store.Name);
        Assert.StartsWith("postgres=Host=", storeSecret.StringData[store.Key], StringComparison.Ordinal);
        Assert.Equal(Tlogistry.Store.StoreKind.Postgres, Tlogistry.Store.StoreChoice.Parse(storeSecret.StringData[store.Key]).Kind);
        Assert.NotEmpty(Flag(p.Args, "--allow-registry"));
        Assert.Equal("/readyz", p.ReadinessProbe.HttpGet.Path);
        Assert.Equal("/healthz", p.LivenessProbe.HttpGet.Path);

        // No volume claim: the proxies keep no state of their own.
        var volumes = proxy.Spec.Template.Spec.Volumes.ToDictionary(v => v.Name);
        Assert.All(volumes.Values, v => Assert.Null(v.PersistentVolumeClaim));
        Assert.NotNull(volumes[p.VolumeMounts.Single(m => m.MountPath == "/data").Name].EmptyDir);

        // Every replica signs with the key from one Secret, where `serve` reads it.
        var key = p.VolumeMounts.Single(m => m.MountPath == "/data/signing-key.pem");
        Assert.Equal("signing-key.pem", key.SubPath);
        Assert.Equal("tlogistry-signing-key", volumes[key.Name].Secret.SecretName);

        // The trusted root is a file of a mounted ConfigMap.
        var trustedRoot = Flag(p.Args, "--trusted-root");
        var rootMount = p.VolumeMounts.Single(m => trustedRoot.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
        var configMap = volumes[rootMount.Name].ConfigMap;
        var example = Assert.Single(external.OfType<V1ConfigMap>(), m => m.Metadata.Name == configMap.Name);
        Assert.Contains(trustedRoot[(rootMount.MountPath.Length + 1)..], example.Data.Keys);

        // The log URL names the log's Service, which selects the log, and is the URL the log writes into its trusted root.
        var logUrl = new Uri(Flag(p.Args, "--log")["rekor-v1=".Length..]);
        Assert.StartsWith("rekor-v1=", Flag(p.Args, "--log"), StringComparison.Ordinal);
        var logService = Assert.Single(objects.OfType<V1Service>(), s => s.Metadata.Name == logUrl.Host);
        Assert.All(logService.Spec.Selector, l => Assert.Equal(l.Value, log.Spec.Template.Metadata.Labels[l.Key]));
        Assert.Equal(logUrl.Port, logService.Spec.Ports.Single().Port);

        Assert.Equal(1, log.Spec.Replicas);
        Assert.Equal("Recreate", log.Spec.Strategy.Type);
        var l = Assert.Single(log.Spec.Template.Spec.Containers);
        Assert.Equal(["log", "serve"], l.Args.Take(2));
        Assert.Equal("/data", Flag(l.Args, "--data-dir"));
        Assert.Equal("/readyz", l.ReadinessProbe.HttpGet.Path);

        // Written to inside the cluster; published read-only at another URL, which the trusted
        // root names (log serve --public-url) and the proxies look the log up by (--log-public-url).
        var publicUrl = new Uri(Flag(l.Args, "--public-url"));
        Assert.Equal("https", publicUrl.Scheme);
        Assert.NotEqual(logUrl.Host, publicUrl.Host);
        Assert.Equal(publicUrl, new Uri(Flag(p.Args, "--log-public-url")));
        var ingress = Assert.Single(objects.OfType<V1Ingress>());
        var rule = Assert.Single(ingress.Spec.Rules);
        Assert.Equal(publicUrl.Host, rule.Host);
        Assert.Contains(publicUrl.Host, ingress.Spec.Tls.Single().Hosts);
        var routed = rule.Http.Paths.Select(x => x.Path).ToList();
        Assert.Contains("/checkpoint", routed);
        Assert.Contains("/tile", routed);
        Assert.Contains("/api/v1/trusted_root.json", routed);
        Assert.All(rule.Http.Paths, x => Assert.Equal(logService.Metadata.Name, x.Backend.Service.Name));
        foreach (var write in new[] { "/api/v1/log/entries", "/api/v2/log/entries", "/api/v1/index/retrieve", "/api/v1/log/entries/retrieve" })
        {
            Assert.DoesNotContain(rule.Http.Paths, x => x.PathType == "Exact" ? x.Path == write : write.StartsWith(x.Path + "/", StringComparison.Ordinal) || write == x.Path);
        }

        // The log appends only what the proxies' key signed, and only the proxies can reach its write API.
        var writerKey = Flag(l.Args, "--writer-key");
        var writerMount = l.VolumeMounts.Single(m => writerKey.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
        var writerMap = log.Spec.Template.Spec.Volumes.Single(v => v.Name == writerMount.Name).ConfigMap;
        Assert.Contains(writerKey[(writerMount.MountPath.Length + 1)..], external.OfType<V1ConfigMap>().Single(m => m.Metadata.Name == writerMap.Name).Data.Keys);
        var logPolicy = Assert.Single(objects.OfType<V1NetworkPolicy>(), n => n.Spec.PodSelector.MatchLabels.All(x => log.Spec.Template.Metadata.Labels[x.Key] == x.Value));
        Assert.Equal(["Ingress"], logPolicy.Spec.PolicyTypes);
        var toHttp = logPolicy.Spec.Ingress.Where(r => r.Ports.Any(x => x.Port.Value == "http")).ToList();
        Assert.All(toHttp, r => Assert.NotEmpty(r.FromProperty));
        Assert.Contains(toHttp.SelectMany(r => r.FromProperty), peer => peer.PodSelector?.MatchLabels["app.kubernetes.io/component"] == "proxy");
        Assert.All(toHttp.SelectMany(r => r.FromProperty), peer => Assert.True(peer.PodSelector is not null || peer.NamespaceSelector?.MatchLabels.Values.Single() == "ingress-nginx"));

        // /metrics is on its own port, which no Service publishes and only the monitoring namespace reaches.
        foreach (var deployment in new[] { proxy, log })
        {
            var c = deployment.Spec.Template.Spec.Containers.Single();
            Assert.Equal("9090", Flag(c.Args, "--metrics-port"));
            var policy = Assert.Single(objects.OfType<V1NetworkPolicy>(), n => n.Spec.PodSelector.MatchLabels.All(x => deployment.Spec.Template.Metadata.Labels[x.Key] == x.Value));
            var toMetrics = Assert.Single(policy.Spec.Ingress, r => r.Ports.Any(x => x.Port.Value == "metrics"));
            Assert.Equal("monitoring", Assert.Single(toMetrics.FromProperty).NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
        }

        Assert.All(objects.OfType<V1Service>(), s => Assert.All(s.Spec.Ports, x => Assert.Equal("http", x.TargetPort.Value)));
        var logData = log.Spec.Template.Spec.Volumes.Single(v => v.Name == l.VolumeMounts.Single(m => m.MountPath == "/data").Name);
        Assert.Contains(objects.OfType<V1PersistentVolumeClaim>(), c => c.Metadata.Name == logData.PersistentVolumeClaim.ClaimName);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void ContainerArgumentsParseWithTheTlogistryCommandLine(string mode)
    {
        foreach (var container in Load(mode).OfType<V1Deployment>().SelectMany(d => d.Spec.Template.Spec.Containers))
        {
            var parsed = Cli.Create().Parse([.. container.Args]);
            Assert.Empty(parsed.Errors);
            Assert.Equal("serve", parsed.CommandResult.Command.Name);
            var unmatched = parsed.UnmatchedTokens.ToList();
            for (var i = 0; i < unmatched.Count; i++)
            {
                Assert.Contains(unmatched[i], StoreFlag);
                i++;
            }
        }
    }

    private static string Flag(IList<string> args, string name)
    {
        var i = args.IndexOf(name);
        Assert.True(i >= 0 && i + 1 < args.Count, $"{name} with a value in [{string.Join(' ', args)}]");
        return args[i + 1];
    }

    private static string Directory(string mode) => RepositoryRoot.Combine("deploy", "kubernetes", mode);

    private static List<IKubernetesObject<V1ObjectMeta>> Load(string mode) =>
        [.. Kustomization.Read(Directory(mode)).Resources.SelectMany(f => LoadFile(mode, f))];

    private static List<IKubernetesObject<V1ObjectMeta>> LoadFile(string mode, string file) =>
        [.. KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(Directory(mode), file)), strict: true).Cast<IKubernetesObject<V1ObjectMeta>>()];

    /// <summary>The image's user, as the project file sets it for the container build.</summary>
    private static string ImageUser() =>
        XDocument.Load(RepositoryRoot.Combine("src", "Tlogistry", "Tlogistry.csproj")).Descendants("ContainerUser").Single().Value;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex VariableReference();

    /// <summary>kustomization.yaml, read strictly: a field this test does not know fails it.</summary>
    private sealed class Kustomization
    {
        public string ApiVersion { get; set; } = "";

        public string Kind { get; set; } = "";

        public List<string> Resources { get; set; } = [];

        public List<ImageOverride> Images { get; set; } = [];

        public static Kustomization Read(string dir)
        {
            var k = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build()
                .Deserialize<Kustomization>(File.ReadAllText(Path.Combine(dir, "kustomization.yaml")));
            Assert.Equal("kustomize.config.k8s.io/v1beta1", k.ApiVersion);
            Assert.Equal("Kustomization", k.Kind);
            return k;
        }
    }

    private sealed class ImageOverride
    {
        public string Name { get; set; } = "";

        public string NewName { get; set; } = "";

        public string NewTag { get; set; } = "";
    }
}
