using System.Text.RegularExpressions;
using Tlogistry.Commands;

namespace Tlogistry.Tests.Deploy;

/// <summary>
/// deploy/terraform/cloud-run. <c>terraform fmt -check</c> parses every file, and
/// <c>terraform providers</c> loads the module's configuration; both work offline.
/// <c>terraform validate</c> needs the google provider plugin, which <c>terraform init</c>
/// downloads from the Terraform registry: out of reach here, so resource arguments are not
/// checked against the provider's schema. What is checked instead: every <c>var.</c>,
/// <c>local.</c> and resource reference names something declared, every variable is used and
/// documented, the example sets exactly the variables the module requires, and the arguments
/// given to the container are flags of <c>tlogistry serve</c>.
/// </summary>
public sealed partial class TerraformModuleTests
{
    private static readonly string Module = RepositoryRoot.Combine("deploy", "terraform", "cloud-run");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TerraformParsesFormatsAndLoadsTheModuleOffline()
    {
        var terraform = FindTerraform();
        using var scratch = new TempDirectory("tlogistry-terraform-");
        var cliConfig = scratch.Combine("terraformrc");
        await File.WriteAllTextAsync(cliConfig, "", Ct);
        var environment = new Dictionary<string, string>
        {
            // Without a CLI configuration file terraform warns about ~/.terraformrc on every command.
            ["TF_CLI_CONFIG_FILE"] = cliConfig,
            ["TF_DATA_DIR"] = scratch.Combine("data"),
            ["TF_IN_AUTOMATION"] = "1",
            ["CHECKPOINT_DISABLE"] = "1",
        };

        await Tool.RunAsync(terraform, ["fmt", "-check", "-recursive", "-diff", "-no-color", RepositoryRoot.Combine("deploy", "terraform")], TimeSpan.FromSeconds(60), environment, cancellationToken: Ct);
        var providers = await Tool.RunAsync(terraform, ["providers", "-no-color"], TimeSpan.FromSeconds(60), environment, Module, cancellationToken: Ct);
        Assert.Contains("provider[registry.terraform.io/hashicorp/google]", providers.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Error", providers.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Warning", providers.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryReferenceNamesADeclarationAndEveryVariableIsUsedAndDocumented()
    {
        var files = Directory.GetFiles(Module, "*.tf").ToDictionary(f => Path.GetFileName(f), f => Code(File.ReadAllText(f)));
        var code = string.Join('\n', files.Values);

        var variables = Declarations(code, "variable");
        var resources = ResourceDeclaration().Matches(code).Select(m => $"{m.Groups[1].Value}.{m.Groups[2].Value}").ToHashSet();
        var locals = LocalsBlock().Matches(code).SelectMany(m => LocalName().Matches(m.Groups[1].Value).Select(l => l.Groups[1].Value)).ToHashSet();
        Assert.NotEmpty(variables);
        Assert.NotEmpty(resources);
        Assert.Contains("args", locals);

        Assert.All(VariableReference().Matches(code), m => Assert.Contains(m.Groups[1].Value, variables));
        Assert.All(LocalReference().Matches(code), m => Assert.Contains(m.Groups[1].Value, locals));
        Assert.All(
            ResourceReference().Matches(code).Where(m => !m.Value.StartsWith("resource", StringComparison.Ordinal)),
            m => Assert.Contains($"{m.Groups[1].Value}.{m.Groups[2].Value}", resources));

        var used = VariableReference().Matches(code).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Empty(variables.Except(used));
        foreach (var block in VariableBlock().Matches(File.ReadAllText(Path.Combine(Module, "variables.tf"))).Cast<Match>())
        {
            Assert.Matches(@"\n  description = "".+""", block.Value);
            Assert.Matches(@"\n  type        = \S", block.Value);
        }

        Assert.Contains("url", Declarations(files["outputs.tf"], "output"));
        Assert.Matches(@"output ""url"" \{[^}]*value\s*=\s*google_cloud_run_v2_service\.\w+\.uri", files["outputs.tf"]);
        Assert.Contains("google_cloud_run_v2_service.tlogistry", resources);
        Assert.Contains("google_service_account.tlogistry", resources);
    }

    [Fact]
    public void TheExampleSetsEveryRequiredVariableAndOnlyDeclaredOnes()
    {
        var module = Code(string.Join('\n', Directory.GetFiles(Module, "*.tf").Select(File.ReadAllText)));
        var required = VariableBlock().Matches(module).Where(m => !m.Value.Contains("\n  default ", StringComparison.Ordinal)).Select(m => m.Groups[1].Value).ToHashSet();
        var example = Code(File.ReadAllText(Path.Combine(Module, "examples", "basic", "main.tf")));
        var call = ModuleCall().Match(example);
        Assert.True(call.Success, "examples/basic calls the module");
        Assert.Equal("../..", call.Groups[1].Value);
        var given = ModuleArgument().Matches(call.Groups[2].Value).Select(m => m.Groups[1].Value).Where(a => a != "source").ToHashSet();

        Assert.Empty(required.Except(given));
        Assert.Empty(given.Except(Declarations(module, "variable")));
        Assert.Contains("project", required);
        Assert.Contains("image", required);
    }

    [Fact]
    public void TheContainerRunsTlogistryServeKeylessAsItsServiceAccountWithKnownFlags()
    {
        var main = Code(File.ReadAllText(Path.Combine(Module, "main.tf")));
        var args = LocalsBlock().Match(main).Groups[1].Value;
        var flags = Flag().Matches(args).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("\"serve\"", args, StringComparison.Ordinal);

        var serve = Cli.Create().Subcommands.Single(c => c.Name == "serve");
        var known = serve.Options.Select(o => o.Name).ToHashSet();
        Assert.All(flags, f => Assert.Contains(f, known));
        Assert.Equal(flags.Distinct(), flags);

        Assert.Contains(@"""--signer"", ""fulcio=${var.fulcio_url}""", args, StringComparison.Ordinal);
        Assert.Contains(@"""--token-source"", ""gcp""", args, StringComparison.Ordinal);
        Assert.Contains(@"""--identity"", local.identity", args, StringComparison.Ordinal);
        Assert.Matches(@"identity\s*=\s*google_service_account\.tlogistry\.email", args);
        // The store setting, password and all, is an environment variable the service reads, never an argument.
        Assert.DoesNotContain("--store", args, StringComparison.Ordinal);
        Assert.DoesNotContain("$(", args, StringComparison.Ordinal);
        Assert.Matches(@"name = ""Tlogistry__Store""\s+value_source \{\s+secret_key_ref \{\s+secret\s+= env\.value", main);

        // The data directory is the image's, on a volume; the probes use the port the image exposes.
        Assert.Contains(@"""--data-dir"", ""/data""", args, StringComparison.Ordinal);
        Assert.Matches(@"mount_path = ""/data""", main);
        Assert.Matches(@"container_port = 8080", main);
        Assert.Equal(2, ProbePath().Matches(main).Count(m => m.Groups[1].Value == "/healthz"));
    }

    [Fact]
    public void APublicLogAndAnOpenProxyAreExplicitChoicesWithRegistriesAndRateLimitsAsVariables()
    {
        var module = string.Join('\n', Directory.GetFiles(Module, "*.tf").Select(File.ReadAllText));
        var variables = VariableBlock().Matches(module).ToDictionary(m => m.Groups[1].Value, m => m.Value);

        // No default log: the public-good Rekor is never chosen for the operator.
        Assert.DoesNotContain("\n  default ", variables["log"], StringComparison.Ordinal);
        Assert.Contains("\n  default     = false", variables["allow_public_log"], StringComparison.Ordinal);
        Assert.Contains("\n  default     = false", variables["allow_public_invoke"], StringComparison.Ordinal);
        Assert.Contains("\n  type        = list(string)", variables["allow_registries"], StringComparison.Ordinal);
        Assert.Contains("\n  type        = number", variables["rate_limit_per_client"], StringComparison.Ordinal);
        Assert.Contains("\n  type        = number", variables["first_sightings_per_minute"], StringComparison.Ordinal);

        var main = Code(File.ReadAllText(Path.Combine(Module, "main.tf")));
        var args = LocalsBlock().Match(main).Groups[1].Value;
        Assert.Contains(@"flatten([for r in var.allow_registries : [""--allow-registry"", r]])", args, StringComparison.Ordinal);
        Assert.Contains(@"""--Tlogistry:RateLimitPerClient=${var.rate_limit_per_client}""", args, StringComparison.Ordinal);
        Assert.Contains(@"""--first-sightings-per-minute"", tostring(var.first_sightings_per_minute)", args, StringComparison.Ordinal);
        Assert.Contains(@"""--metrics-port"", ""9090""", args, StringComparison.Ordinal);
        Assert.Contains("condition     = !local.public_log || var.allow_public_log", main, StringComparison.Ordinal);
        Assert.Contains("condition     = !var.allow_public_invoke || length(var.allow_registries) > 0", main, StringComparison.Ordinal);

        // The module's idea of a public log agrees with the service's, host by host.
        var pattern = PublicLogPattern().Match(main);
        Assert.True(pattern.Success, "local.public_log is defined by a regex");
        var local = new Regex(pattern.Groups[1].Value.Replace(@"\\", @"\", StringComparison.Ordinal));
        foreach (var log in new[] { "rekor-v1=https://rekor.sigstore.dev", "rekor-v1=https://log.example.com", "rekor-v1=http://tlogistry-log", "rekor-v1=http://10.0.0.5:8080", "rekor-v2=http://log.tlogistry.svc.cluster.local", "rekor-v1=http://127.0.0.1:3000" })
        {
            Assert.Equal(Tlogistry.Upstream.UpstreamRecord.IsPublic(Tlogistry.Transparency.LogChoice.Parse(log)), !local.IsMatch(log));
        }

        // The example opts in to both, knowingly, and lists its registries.
        var example = File.ReadAllText(Path.Combine(Module, "examples", "basic", "main.tf"));
        Assert.Matches(@"allow_public_log\s+= true", example);
        Assert.Matches(@"allow_registries\s+= \[""docker.io""", example);
    }

    [Fact]
    public void RekorV2IsAcceptedForKeylessOnlyWithTimestampAuthorities()
    {
        var module = string.Join('\n', Directory.GetFiles(Module, "*.tf").Select(File.ReadAllText));
        var variables = VariableBlock().Matches(module).ToDictionary(m => m.Groups[1].Value, m => m.Value);

        // The log variable's own validation, run here as the regex it is.
        var validation = LogValidation().Match(variables["log"]);
        Assert.True(validation.Success, "the log variable is validated by a regex");
        var accepts = new Regex(validation.Groups[1].Value.Replace(@"\\", @"\", StringComparison.Ordinal));
        foreach (var log in new[] { "embedded", "rekor-v1=https://log.example.com", "rekor-v2=http://tlogistry-log" })
        {
            Assert.Matches(accepts, log);
            Assert.True(Tlogistry.Transparency.LogChoice.Parse(log) is not null);
        }

        Assert.DoesNotMatch(accepts, "rekor-v3=https://log.example.com");
        Assert.DoesNotMatch(accepts, "rekor-v2=");

        // rekor-v2 needs the timestamp authorities, which become --timestamp-authority flags.
        Assert.Contains("\n  type        = list(string)", variables["timestamp_authorities"], StringComparison.Ordinal);
        Assert.Contains("\n  default     = []", variables["timestamp_authorities"], StringComparison.Ordinal);
        var main = Code(File.ReadAllText(Path.Combine(Module, "main.tf")));
        Assert.Contains(@"flatten([for t in var.timestamp_authorities : [""--timestamp-authority"", t]])", LocalsBlock().Match(main).Groups[1].Value, StringComparison.Ordinal);
        Assert.Contains(@"condition     = !startswith(var.log, ""rekor-v2="") || length(var.timestamp_authorities) > 0", main, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"condition\s*=\s*can\(regex\(""([^""]+)"", var\.log\)\)")]
    private static partial Regex LogValidation();

    [GeneratedRegex(@"!can\(regex\(""(\^rekor[^""]+)"", var\.log\)\)")]
    private static partial Regex PublicLogPattern();

    private static string FindTerraform()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/local/bin")
            .Select(d => Path.Combine(d, "terraform"))
            .FirstOrDefault(File.Exists);
        if (path is null)
        {
            // No package source this project installs from carries terraform; the other checks still run.
            Assert.Skip("terraform is not installed (HashiCorp ships it outside Debian's archive); the Terraform parse and format check is skipped.");
        }

        return path;
    }

    /// <summary>The code without comments and without description strings, which may mention names in prose.</summary>
    private static string Code(string text) =>
        Description().Replace(Comment().Replace(text, ""), "description = \"\"");

    private static HashSet<string> Declarations(string code, string kind) =>
        new Regex($@"^{kind} ""([a-z0-9_]+)"" \{{", RegexOptions.Multiline).Matches(code).Select(m => m.Groups[1].Value).ToHashSet();

    [GeneratedRegex(@"(?m)^\s*#.*$")]
    private static partial Regex Comment();

    [GeneratedRegex(@"description\s*=\s*""(?:[^""\\]|\\.)*""")]
    private static partial Regex Description();

    [GeneratedRegex(@"(?ms)^variable ""([a-z0-9_]+)"" \{.*?^\}")]
    private static partial Regex VariableBlock();

    [GeneratedRegex(@"(?m)^resource ""([a-z0-9_]+)"" ""([a-z0-9_]+)"" \{")]
    private static partial Regex ResourceDeclaration();

    [GeneratedRegex(@"(?ms)^locals \{(.*?)^\}")]
    private static partial Regex LocalsBlock();

    [GeneratedRegex(@"(?m)^  ([a-z0-9_]+)\s*=")]
    private static partial Regex LocalName();

    [GeneratedRegex(@"\bvar\.([a-z0-9_]+)")]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"\blocal\.([a-z0-9_]+)")]
    private static partial Regex LocalReference();

    [GeneratedRegex(@"\b(google_[a-z0-9_]+)\.([a-z0-9_]+)\b")]
    private static partial Regex ResourceReference();

    [GeneratedRegex(@"(?ms)^module ""[a-z0-9_]+"" \{\s*source\s*=\s*""([^""]+)""(.*?)^\}")]
    private static partial Regex ModuleCall();

    [GeneratedRegex(@"(?m)^  ([a-z0-9_]+)\s*=")]
    private static partial Regex ModuleArgument();

    [GeneratedRegex(@"""(--[a-z-]+)""")]
    private static partial Regex Flag();

    [GeneratedRegex(@"\bpath = ""(/[a-z]+)""")]
    private static partial Regex ProbePath();
}
