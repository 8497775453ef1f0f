using System.Text.RegularExpressions;
using Tlogistry.Oci;
using Tlogistry.Policy;
using static Tlogistry.Tests.Support.Data.Registries;

namespace Tlogistry.Tests.Policy;

public sealed class TagPolicyTests
{
    private const string Hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static readonly TagPolicy Configured = TagPolicy.Parse(
        ["^latest$", "^nightly-"],
        "fail",
        [
            "ghcr.io:on-mismatch=serve-pinned",
            "quay.io:mutable-tag=^edge$",
            "quay.io:mutable-tag=^main$",
            "index.docker.io:on-mismatch=serve-pinned",
            "registry-1.docker.io:mutable-tag=^latest$",
            "registry-1.docker.io:mutable-tag=^rolling$",
            "localhost:5000:mutable-tag=",
            "Gcr.IO:on-mismatch=Serve-Pinned",
            "regex.test:mutable-tag=^v[0-9]+(?=-rc)",
        ]);

    public static TheoryData<string, string, bool, string> Rules => new()
    {
        // Global patterns, anchored as written, against the tag alone.
        { "example.com", "latest", true, "fail" },
        { "example.com", "latest-1", false, "fail" },
        { "example.com", "Latest", false, "fail" },
        { "example.com", "nightly-2026", true, "fail" },
        { "example.com", "v1-nightly-2026", false, "fail" },
        { "example.com", "3.16.0", false, "fail" },

        // A registry's on-mismatch replaces the global one; its mutable tags stay the global ones.
        { "ghcr.io", "latest", true, "serve-pinned" },
        { "ghcr.io", "v1", false, "serve-pinned" },

        // A registry's mutable tags replace the global list; its on-mismatch stays global.
        { "quay.io", "edge", true, "fail" },
        { "quay.io", "main", true, "fail" },
        { "quay.io", "latest", false, "fail" },

        // Docker Hub's aliases are one registry, named as requests name it (docker.io).
        { "docker.io", "rolling", true, "serve-pinned" },
        { "docker.io", "latest", true, "serve-pinned" },
        { "docker.io", "nightly-1", false, "serve-pinned" },
        { "index.docker.io", "rolling", true, "serve-pinned" },

        // An empty pattern list: nothing is mutable there, the signing tools' tags included.
        { "localhost:5000", "latest", false, "fail" },
        { "localhost:5000", "sha256-" + Hex + ".sig", false, "fail" },
        { "localhost:5001", "latest", true, "fail" },

        // The signing tools' tags are mutable wherever the global list holds, beside --mutable-tag;
        // a registry's own list replaces them too.
        { "example.com", "sha256-" + Hex, true, "fail" },
        { "example.com", "sha256-" + Hex + ".sig", true, "fail" },
        { "example.com", "sha256-" + Hex + ".att", true, "fail" },
        // cosign's .sbom tag holds an unsigned SBOM: the pin is all that guards it.
        { "example.com", "sha256-" + Hex + ".sbom", false, "fail" },
        { "ghcr.io", "sha256-" + Hex + ".sbom", false, "serve-pinned" },
        { "ghcr.io", "sha256-" + Hex + ".sig", true, "serve-pinned" },
        { "quay.io", "sha256-" + Hex + ".sig", false, "fail" },
        { "example.com", "sha256-" + Hex + ".sig2", false, "fail" },
        { "example.com", "sha256-" + Hex[..63] + ".sig", false, "fail" },
        { "example.com", "sha256-" + Hex.ToUpperInvariant() + ".sig", false, "fail" },
        { "example.com", "v1.sig", false, "fail" },
        { "example.com", "sha512-" + Hex + ".sig", false, "fail" },

        // Hosts and values are case-insensitive.
        { "gcr.io", "v1", false, "serve-pinned" },

        // .NET regular expressions, lookarounds included.
        { "regex.test", "v12-rc1", true, "fail" },
        { "regex.test", "v12", false, "fail" },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void EachTagGetsTheRuleOfItsRegistryElseTheGlobalOne(string registry, string tag, bool mutable, string onMismatch) =>
        Assert.Equal(new TagRule(mutable, TagPolicy.ParseMismatch(onMismatch, "test")), Configured.For(Named(registry), tag));

    [Fact]
    public void WithoutSettingsOnlySigningToolTagsAreMutableAndAMoveIsRefused()
    {
        Assert.Equal(new TagRule(false, MismatchPolicy.Fail), TagPolicy.Default.For(Named("docker.io"), "latest"));
        Assert.Equal(new TagRule(true, MismatchPolicy.Fail), TagPolicy.Default.For(Named("docker.io"), "sha256-" + Hex + ".sig"));
        Assert.Equal(new TagRule(true, MismatchPolicy.Fail), TagPolicy.Parse([], null, []).For(Named("ghcr.io"), "sha256-" + Hex + ".att"));
        Assert.Equal(new TagRule(false, MismatchPolicy.Fail), TagPolicy.Parse([], null, []).For(Named("ghcr.io"), "latest"));
        Assert.Equal(new TagRule(false, MismatchPolicy.Fail), TagPolicy.Parse([], " ", []).For(Named("ghcr.io"), "latest"));
        Assert.Equal(new TagRule(false, MismatchPolicy.ServePinned), TagPolicy.Parse([], "SERVE-PINNED", []).For(Named("ghcr.io"), "latest"));
    }

    [Fact]
    public void ARegistryMaySetFailAgainstAGlobalServePinned()
    {
        var policy = TagPolicy.Parse([], "serve-pinned", ["ghcr.io:on-mismatch=fail", "ghcr.io:on-mismatch=fail"]);
        Assert.Equal(MismatchPolicy.Fail, policy.For(Named("ghcr.io"), "v1").OnMismatch);
        Assert.Equal(MismatchPolicy.ServePinned, policy.For(Named("quay.io"), "v1").OnMismatch);
    }

    [Fact]
    public void APatternMayHoldColonsAndEqualsSigns()
    {
        var policy = TagPolicy.Parse([], null, ["localhost:5000:mutable-tag=^(?:a=b|c)$"]);
        Assert.True(policy.For(Named("localhost:5000"), "c").Mutable);
        Assert.False(policy.For(Named("localhost:5000"), "a").Mutable);
    }

    [Theory]
    [InlineData("ghcr.io:443")]
    [InlineData("GHCR.io")]
    [InlineData("ghcr.io")]
    public void ARegistryRuleHoldsForEverySpellingOfItsRegistry(string configured)
    {
        // The rule is keyed on the one name, whichever spelling the setting and the request use.
        var policy = TagPolicy.Parse([], null, [$"{configured}:mutable-tag=^edge$", $"{configured}:on-mismatch=serve-pinned"]);
        foreach (var requested in new[] { "ghcr.io/org/app", "GHCR.IO/org/app", "ghcr.io:443/org/app", "Ghcr.Io:443/org/app" })
        {
            Assert.True(ImageNameParser.TryParse(requested, out var name, out var error), error?.Message);
            Assert.Equal(new TagRule(true, MismatchPolicy.ServePinned), policy.For(name.Registry, "edge"));
            Assert.Equal(new TagRule(false, MismatchPolicy.ServePinned), policy.For(name.Registry, "v1"));
        }

        Assert.True(ImageNameParser.TryParse("ghcr.io:444/org/app", out var other, out _));
        Assert.Equal(new TagRule(false, MismatchPolicy.Fail), policy.For(other.Registry, "edge"));
    }

    public static TheoryData<string[], string?, string[], string> Refusals => new()
    {
        { ["(["], null, [], "--mutable-tag \"([\" is not a valid .NET regular expression" },
        { [""], null, [], "--mutable-tag needs a regular expression" },
        { [], "serve", [], "--on-mismatch must be fail or serve-pinned, got \"serve\"" },
        { [], null, ["ghcr.io:on-mismatch=pinned"], "--policy ghcr.io:on-mismatch must be fail or serve-pinned, got \"pinned\"" },
        { [], null, ["ghcr.io:mutable-tag=a)"], "--policy ghcr.io:mutable-tag \"a)\" is not a valid .NET regular expression" },
        { [], null, ["ghcr.io"], "--policy expects REGISTRY:mutable-tag=REGEX or REGISTRY:on-mismatch=fail|serve-pinned" },
        { [], null, ["ghcr.io=serve-pinned"], "--policy expects REGISTRY:" },
        { [], null, ["ghcr.io:mutable=^x$"], "--policy expects REGISTRY:" },
        { [], null, [":on-mismatch=fail"], "--policy expects REGISTRY:" },
        { [], null, ["ghcr.io/org:on-mismatch=fail"], "\"ghcr.io/org\" is not a registry host" },
        { [], null, ["myregistry:on-mismatch=fail"], "\"myregistry\" is not a registry host" },
        { [], null, ["*.gcr.io:on-mismatch=fail"], "\"*.gcr.io\" is not a registry host" },
        { [], null, ["ghcr.io:on-mismatch=fail", "GHCR.io:on-mismatch=serve-pinned"], "--policy sets on-mismatch for ghcr.io twice, to fail and to serve-pinned" },
        { [], null, ["ghcr.io:443:on-mismatch=fail", "ghcr.io:on-mismatch=serve-pinned"], "--policy sets on-mismatch for ghcr.io twice, to fail and to serve-pinned" },
        { [], null, ["2130706433:5000:on-mismatch=fail"], "\"2130706433:5000\" is not a registry host" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void BadSettingsAreRefusedNamingTheFlagAndTheReason(string[] mutableTags, string? onMismatch, string[] policies, string reason)
    {
        var e = Assert.Throws<FormatException>(() => TagPolicy.Parse(mutableTags, onMismatch, policies));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APatternThatBacktracksWithoutEndTimesOutInsteadOfHanging()
    {
        var policy = TagPolicy.Parse(["^(a+)+$"], null, []);
        Assert.Throws<RegexMatchTimeoutException>(() => policy.For(Named("docker.io"), new string('a', 100) + "!"));
    }

    [Fact]
    public void TheStartUpDescriptionNamesEveryScope()
    {
        Assert.Equal(
            [
                "all registries: mutable tags ^latest$ ^nightly-; on mismatch fail",
                "signing tools' tags " + TagPolicy.SigningToolTags + ": mutable, except at a registry with its own mutable tags",
                "docker.io: mutable tags ^latest$ ^rolling$; on mismatch serve-pinned",
                "gcr.io: on mismatch serve-pinned",
                "ghcr.io: on mismatch serve-pinned",
                "localhost:5000: mutable tags none",
                "quay.io: mutable tags ^edge$ ^main$",
                "regex.test: mutable tags ^v[0-9]+(?=-rc)",
            ],
            Configured.Describe());
    }
}
