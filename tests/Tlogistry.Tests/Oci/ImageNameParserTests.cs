using Tlogistry.Oci;

namespace Tlogistry.Tests.Oci;

public sealed class ImageNameParserTests
{
    private static readonly string DeepValid = string.Join('/', Enumerable.Repeat("a", 100));
    private static readonly string DeepTooLong = string.Join('/', Enumerable.Repeat("a", 200));

    /// <summary>
    /// input, expected registry, repository, canonical tag reference (with tag "3.16.0");
    /// or, when registry is null, a fragment the NAME_INVALID message must contain.
    /// </summary>
    public static TheoryData<string, string?, string?, string?> Cases => new()
    {
        // Docker Hub, implicit and explicit.
        { "alpine", "docker.io", "library/alpine", "index.docker.io/library/alpine:3.16.0" },
        { "library/alpine", "docker.io", "library/alpine", "index.docker.io/library/alpine:3.16.0" },
        { "bitnami/redis", "docker.io", "bitnami/redis", "index.docker.io/bitnami/redis:3.16.0" },
        { "docker.io/alpine", "docker.io", "library/alpine", "index.docker.io/library/alpine:3.16.0" },
        { "docker.io/library/alpine", "docker.io", "library/alpine", "index.docker.io/library/alpine:3.16.0" },
        { "index.docker.io/alpine", "docker.io", "library/alpine", "index.docker.io/library/alpine:3.16.0" },
        { "index.docker.io/library/nginx", "docker.io", "library/nginx", "index.docker.io/library/nginx:3.16.0" },
        { "registry-1.docker.io/alpine", "docker.io", "library/alpine", "index.docker.io/library/alpine:3.16.0" },
        { "registry-1.docker.io/bitnami/redis", "docker.io", "bitnami/redis", "index.docker.io/bitnami/redis:3.16.0" },
        { "DOCKER.IO/alpine", "docker.io", "library/alpine", "index.docker.io/library/alpine:3.16.0" },
        { "Index.Docker.Io/library/nginx", "docker.io", "library/nginx", "index.docker.io/library/nginx:3.16.0" },
        { "docker.io/library", "docker.io", "library/library", "index.docker.io/library/library:3.16.0" },
        { "docker.io:443/alpine", "docker.io", "library/alpine", "index.docker.io/library/alpine:3.16.0" },
        { "registry-1.docker.io:443/library/alpine", "docker.io", "library/alpine", "index.docker.io/library/alpine:3.16.0" },

        // Other registries.
        { "ghcr.io/org/app", "ghcr.io", "org/app", "ghcr.io/org/app:3.16.0" },
        { "GHCR.IO/org/app", "ghcr.io", "org/app", "ghcr.io/org/app:3.16.0" },
        { "ghcr.io/app", "ghcr.io", "app", "ghcr.io/app:3.16.0" },
        { "quay.io/coreos/etcd", "quay.io", "coreos/etcd", "quay.io/coreos/etcd:3.16.0" },
        { "gcr.io/distroless/static-debian12", "gcr.io", "distroless/static-debian12", "gcr.io/distroless/static-debian12:3.16.0" },
        { "my-registry.example.com/team/app", "my-registry.example.com", "team/app", "my-registry.example.com/team/app:3.16.0" },
        { "sub.domain-x.example.org:8080/a/b", "sub.domain-x.example.org:8080", "a/b", "sub.domain-x.example.org:8080/a/b:3.16.0" },
        { "xn--bcher-kva.example/app", "xn--bcher-kva.example", "app", "xn--bcher-kva.example/app:3.16.0" },
        { "example.com:443/a/b", "example.com", "a/b", "example.com/a/b:3.16.0" },
        { "GHCR.io:443/org/app", "ghcr.io", "org/app", "ghcr.io/org/app:3.16.0" },
        { "myregistry:443/a", "myregistry:443", "a", "myregistry:443/a:3.16.0" },
        { "LOCALHOST:443/a", "localhost", "a", "localhost/a:3.16.0" },
        { "example.com:65535/a", "example.com:65535", "a", "example.com:65535/a:3.16.0" },

        // localhost, ports, IP literals.
        { "localhost/foo", "localhost", "foo", "localhost/foo:3.16.0" },
        { "localhost:5000/foo", "localhost:5000", "foo", "localhost:5000/foo:3.16.0" },
        { "localhost:5000/foo/bar", "localhost:5000", "foo/bar", "localhost:5000/foo/bar:3.16.0" },
        { "127.0.0.1:5000/x", "127.0.0.1:5000", "x", "127.0.0.1:5000/x:3.16.0" },
        { "[::1]:5000/x", "[::1]:5000", "x", "[::1]:5000/x:3.16.0" },
        { "[::1]/x", "[::1]", "x", "[::1]/x:3.16.0" },
        { "[2001:db8::1]:5000/app", "[2001:db8::1]:5000", "app", "[2001:db8::1]:5000/app:3.16.0" },

        // Separators and characters.
        { "a/b_c", "docker.io", "a/b_c", "index.docker.io/a/b_c:3.16.0" },
        { "a/b__c", "docker.io", "a/b__c", "index.docker.io/a/b__c:3.16.0" },
        { "a/b-c", "docker.io", "a/b-c", "index.docker.io/a/b-c:3.16.0" },
        { "a/b---c", "docker.io", "a/b---c", "index.docker.io/a/b---c:3.16.0" },
        { "a/b.c", "docker.io", "a/b.c", "index.docker.io/a/b.c:3.16.0" },
        { "a/b.c_d-e__f", "docker.io", "a/b.c_d-e__f", "index.docker.io/a/b.c_d-e__f:3.16.0" },
        { "0/1", "docker.io", "0/1", "index.docker.io/0/1:3.16.0" },
        { "a1b2/c3", "docker.io", "a1b2/c3", "index.docker.io/a1b2/c3:3.16.0" },

        // Depth and length.
        { DeepValid, "docker.io", DeepValid, $"index.docker.io/{DeepValid}:3.16.0" },
        { "ghcr.io/" + new string('a', 247), "ghcr.io", new string('a', 247), $"ghcr.io/{new string('a', 247)}:3.16.0" },
        { new string('a', 237), "docker.io", "library/" + new string('a', 237), $"index.docker.io/library/{new string('a', 237)}:3.16.0" },
        { "registry-1.docker.io/x/" + new string('a', 243), "docker.io", "x/" + new string('a', 243), $"index.docker.io/x/{new string('a', 243)}:3.16.0" },

        // Invalid: empty, host only, uppercase.
        { "", null, null, "empty" },
        { "ghcr.io", null, null, "registry host but no repository" },
        { "localhost", null, null, "registry host but no repository" },
        { "localhost:5000", null, null, "registry host but no repository" },
        { "Alpine", null, null, "must be lowercase" },
        { "library/Alpine", null, null, "must be lowercase" },
        { "ghcr.io/Org/app", null, null, "must be lowercase" },
        { "ALPINE/x", null, null, "must be lowercase" },

        // Invalid: path traversal and empty components.
        { "a/../b", null, null, "'..'" },
        { "../a", null, null, "'..'" },
        { "a/./b", null, null, "'..'" },
        { "a//b", null, null, "empty path component" },
        { "/alpine", null, null, "empty path component" },
        { "alpine/", null, null, "empty path component" },
        { "ghcr.io/", null, null, "empty path component" },

        // Invalid: encodings and odd characters.
        { "a%2Fb", null, null, "%2F" },
        { "a%2fb", null, null, "%2F" },
        { "ghcr.io%2Forg/app", null, null, "%2F" },
        { "a\\b", null, null, "backslash" },
        { "a\u0000b", null, null, "control" },
        { "a\nb", null, null, "control" },
        { "a\tb", null, null, "control" },
        { "a\u007fb", null, null, "control" },
        { "a b", null, null, "spaces" },
        { "ålpine", null, null, "only ASCII" },
        { "café/app", null, null, "only ASCII" },
        { "ghcr.io/org/app\u200b", null, null, "only ASCII" },
        { "alpine@sha256", null, null, "'@'" },

        // Invalid: separators.
        { "a/-b", null, null, "bad path component" },
        { "a/b-", null, null, "bad path component" },
        { "a/b..c", null, null, "bad path component" },
        { "a/b___c", null, null, "bad path component" },
        { "a/b._c", null, null, "bad path component" },
        { "a/_b", null, null, "bad path component" },
        { "a/b+c", null, null, "bad path component" },

        // Invalid: hosts.
        { "ghcr..io/app", null, null, "not a valid host name" },
        { "-ghcr.io/app", null, null, "not a valid host name" },
        { "ghcr-.io/app", null, null, "not a valid host name" },
        { "gh_cr.io/app", null, null, "not a valid host name" },
        { "ghcr.io:/app", null, null, "port" },
        { "ghcr.io:abc/app", null, null, "port" },
        { "ghcr.io:0/app", null, null, "port" },
        { "ghcr.io:99999/app", null, null, "port" },
        { "ghcr.io:5000:1/app", null, null, "more than one ':'" },
        { "::1/app", null, null, "more than one ':'" },
        { "[::1/app", null, null, "unterminated" },
        { "[zz::1]:5000/app", null, null, "not an IPv6 address" },
        { "[1.2.3.4]/app", null, null, "not an IPv6 address" },
        { "[::1]x/app", null, null, "only ':port'" },
        { "alpine:3.16", null, null, "port" },

        // Invalid: other spellings of a host, refused naming the one name.
        { "ghcr.io:0443/app", null, null, "without leading zeros" },
        { "ghcr.io./app", null, null, "write ghcr.io" },
        { "2130706433:5443/app", null, null, "write 127.0.0.1" },
        { "127.1:5443/app", null, null, "write 127.0.0.1" },
        { "127.0.0.01:5443/app", null, null, "write 127.0.0.1" },
        { "0x7f.0.0.1:5443/app", null, null, "write 127.0.0.1" },
        { "0177.0.0.1:5443/app", null, null, "write 127.0.0.1" },
        { "1.2.3.256/app", null, null, "neither a host name" },
        { "ghcr.123/app", null, null, "neither a host name" },
        { "[::ffff:127.0.0.1]:5443/app", null, null, "write 127.0.0.1" },
        { "[::ffff:7f00:1]:5443/app", null, null, "write 127.0.0.1" },
        { "[2001:DB8::1]:5000/app", null, null, "[2001:db8::1]" },
        { "[0:0:0:0:0:0:0:1]:5000/app", null, null, "[::1]" },
        { "[2001:db8:0:0:1:0:0:1]/app", null, null, "[2001:db8::1:0:0:1]" },

        // Invalid: length.
        { "ghcr.io/" + new string('a', 248), null, null, "at most 255" },
        { new string('a', 238), null, null, "at most 255" },
        { DeepTooLong, null, null, "at most 255" },
        { new string('a', 100_000), null, null, "at most 255" },

        // Invalid: image ID.
        { new string('a', 64), null, null, "image ID" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ParsesOrRejects(string input, string? registry, string? repository, string? canonicalOrMessage)
    {
        var ok = ImageNameParser.TryParse(input, out var name, out var error);

        if (registry is null)
        {
            Assert.False(ok);
            Assert.Null(name);
            Assert.NotNull(error);
            Assert.Equal(OciErrorCodes.NameInvalid, error.Code);
            Assert.Contains(canonicalOrMessage!, error.Message, StringComparison.Ordinal);
            Assert.True(error.Message.Length < 400, "messages stay short even for huge input");
            return;
        }

        Assert.True(ok, error?.Message);
        Assert.Null(error);
        Assert.Equal(registry, name!.Registry.Value);
        Assert.Equal(repository, name.Repository);
        Assert.Equal(canonicalOrMessage, ImageReference.ForTag(name, "3.16.0").Canonical);
        Assert.True(name.Registry.Value.Length + 1 + name.Repository.Length <= 255);
    }

    [Fact]
    public void TableHasAtLeastFiftyCases() => Assert.True(Cases.Count >= 50);

    [Theory]
    [InlineData("alpine", "registry-1.docker.io")]
    [InlineData("index.docker.io/alpine", "registry-1.docker.io")]
    [InlineData("ghcr.io/org/app", "ghcr.io")]
    [InlineData("localhost:5000/foo", "localhost:5000")]
    public void ApiHost(string input, string apiHost)
    {
        Assert.True(ImageNameParser.TryParse(input, out var name, out _));
        Assert.Equal(apiHost, name.Registry.ApiAuthority);
    }

    [Fact]
    public void DockerHubAliasesAreOneName()
    {
        var names = new[] { "alpine", "library/alpine", "docker.io/alpine", "index.docker.io/library/alpine", "registry-1.docker.io/alpine", "DOCKER.IO:443/alpine", "index.docker.io:443/library/alpine" }
            .Select(n => ImageNameParser.TryParse(n, out var name, out _) ? name : null)
            .Distinct()
            .ToList();
        Assert.Single(names);
        Assert.Equal(new ImageName(RegistryHost.DockerHub, "library/alpine"), names[0]);
    }

    [Fact]
    public void NullIsRejected()
    {
        Assert.False(ImageNameParser.TryParse(null, out _, out var error));
        Assert.Equal(OciErrorCodes.NameInvalid, error.Code);
    }

    [Fact]
    public void MessageEscapesControlCharacters()
    {
        Assert.False(ImageNameParser.TryParse("a\u001b[31mb", out _, out var error));
        Assert.DoesNotContain('\u001b', error.Message);
        Assert.Contains("\\u001b", error.Message, StringComparison.Ordinal);
    }
}
