using Tlogistry.Oci;
using static Tlogistry.Fuzzing.PropertyViolation;

namespace Tlogistry.Fuzzing;

/// <summary>The reference grammar: names, routes, digests and tags.</summary>
internal static class OciTargets
{
    private const string Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private const string Sha256 = "sha256:" + Hex;

    private static readonly ImageName Alpine = new(RegistryHost.DockerHub, "library/alpine");

    private static readonly string[] NameTokens =
    [
        "/", "..", ".", "%2F", "%2f", ":", "@", "\\", "_", "__", "-", "docker.io/", "index.docker.io/",
        "registry-1.docker.io/", "library/", "localhost", "localhost:5000/", "[::1]", "[", "]", ":5000", ":65536",
        "ghcr.io/", "A", "xn--", Hex,
    ];

    private static readonly string[] NameSeeds =
    [
        "alpine", "library/alpine", "bitnami/redis", "docker.io/alpine", "index.docker.io/library/nginx",
        "registry-1.docker.io/bitnami/redis", "DOCKER.IO/alpine", "docker.io:443/alpine", "ghcr.io/org/app",
        "GHCR.IO/org/app", "gcr.io/distroless/static-debian12", "sub.domain-x.example.org:8080/a/b",
        "xn--bcher-kva.example/app", "localhost/foo", "localhost:5000/foo/bar", "127.0.0.1:5000/x",
        "[::1]:5000/x", "[2001:DB8::1]:5000/app", "a/b.c_d-e__f", "a/b---c", "0/1", "a/../b", "a//b",
        "a%2Fb", "a\\b", "a\u0000b", "ålpine", "alpine@sha256", "a/b___c", "ghcr..io/app", "ghcr.io:0/app",
        "ghcr.io:5000:1/app", "[::1/app", "[1.2.3.4]/app", "[::1]x/app", Hex, "ghcr.io/" + new string('a', 247),
    ];

    private static readonly string[] RouteTokens =
    [
        "/v2/", "/v2", "/manifests/", "/blobs/", "/blobs/uploads/", "/tags/list", "/referrers/", "uploads",
        "/", "..", "%2F", ":", "@", "?", "#", "sha256:", "sha512:", Hex, "GET ", "HEAD ", "PUT ", "get ",
        "ghcr.io/", "localhost:5000/", "[::1]:5000/", "library/",
    ];

    private static readonly string[] RouteSeeds =
    [
        "GET /v2/", "GET /v2", "POST /v2/", "GET /v2/alpine/manifests/latest", "HEAD /v2/alpine/manifests/3.16.0",
        "GET /v2/a/manifests/b/manifests/c", "GET /v2/a/blobs/uploads/manifests/x", "GET /v2/ghcr.io/org/app/manifests/v1",
        "GET /v2/localhost:5000/foo/manifests/dev", "GET /v2/alpine/manifests/" + Sha256,
        "GET /v2/alpine/manifests/sha256:BAD", "GET /v2/alpine/manifests/-bad", "GET /v2/alpine/blobs/" + Sha256,
        "HEAD /v2/[::1]:5000/org/app/blobs/" + Sha256, "GET /v2/alpine/tags/list?n=10&last=a",
        "GET /v2/alpine/referrers/" + Sha256 + "?artifactType=application%2Fexample", "PUT /v2/alpine/manifests/latest",
        "POST /v2/alpine/blobs/uploads/?mount=" + Sha256, "PATCH /v2/alpine/blobs/uploads/5f0c7e0e-uuid",
        "GET /v2/alpine/blobs/uploads/x", "OPTIONS /v2/alpine/manifests/latest", "GET /v2/Bad%2FName/manifests/latest",
        "GET /v2/_catalog", "GET /v2/alpine/manifests%2Flatest", "GET /v2/a/../b/manifests/x", "GET /v2/alpine/tags/list#x",
    ];

    private static readonly string[] DigestTokens =
    [
        "sha256:", "sha512:", ":", "+", ".", "_", "-", "=", Hex, "A", "sha384:", "0",
    ];

    private static readonly string[] DigestSeeds =
    [
        Sha256, "sha512:" + Hex + Hex, "sha256:BAD", "sha256:" + Hex.ToUpperInvariant(), "sha256:" + Hex[1..],
        "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8", "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
        "latest", "v1.2.3", "_x", "-bad", ".bad", new string('a', 128), new string('a', 129), "",
    ];

    public static readonly FuzzTarget Name = FuzzTarget.ForText(
        "name", "ImageNameParser.TryParse: accepted names are canonical and re-parse equal", CheckName,
        NameSeeds, NameTokens);

    public static readonly FuzzTarget Route = FuzzTarget.ForText(
        "route", "RegistryRoute.Parse(\"METHOD path\"): statuses and routed names", CheckRoute,
        RouteSeeds, RouteTokens);

    private static readonly string[] MirrorSeeds =
    [
        "ghcr.io\n/v2/org/app/manifests/v1", "docker.io\n/v2/alpine/manifests/3", "index.docker.io\n/v2/library/alpine/tags/list",
        "ghcr.io\n/v2/ghcr.io/org/app/manifests/v1", "docker.io\n/v2/ghcr.io/org/app/manifests/v1", "ghcr.io\tdocker.io\n/v2/a/manifests/v1",
        "\n/v2/a/manifests/v1", "ghcr.io.\n/v2/a/blobs/" + Sha256, "127.1:5000\n/v2/a/referrers/" + Sha256, "GHCR.IO:443\n/v2/foo.bar/manifests/x",
    ];

    public static readonly FuzzTarget Mirror = FuzzTarget.ForText(
        "mirror", "RegistryRoute.Parse with ns (\"NS[\\tNS…]\\nPATH\"): the registry is ns's, and the full name routes alike without it",
        CheckMirror, MirrorSeeds, [.. RouteTokens, "?ns=", "\t", "\n", "docker.io", "ghcr.io", "index.docker.io"]);

    public static readonly FuzzTarget DigestAndTag = FuzzTarget.ForText(
        "digest-tag", "Digest.TryParse, Tag.TryValidate and ImageReference.TryParse on one input",
        CheckDigestAndTag, DigestSeeds, DigestTokens);

    public static string CheckName(string input)
    {
        if (!ImageNameParser.TryParse(input, out var name, out var error))
        {
            Require(name is null, "TryParse failed but returned a name");
            CheckError(error, OciErrorCodes.NameInvalid);
            return "error: " + FuzzInput.Shape(error.Message);
        }

        Require(error is null, "TryParse succeeded but returned an error");
        CheckAcceptedName(name);
        return name.IsDockerHub ? "ok: docker hub" : "ok: registry";
    }

    public static string CheckRoute(string input)
    {
        var space = input.IndexOf(' ', StringComparison.Ordinal);
        var (method, path) = space < 0 ? ("GET", input) : (input[..space], input[(space + 1)..]);
        var match = RegistryRoute.Parse(method, path);
        Require(match.StatusCode is 200 or 400 or 404 or 405, $"status {match.StatusCode} for {match.Kind}");

        var isRead = method is "GET" or "HEAD";
        var expected = match.Kind switch
        {
            // A tag that cannot exist is a manifest the registry does not hold; the rest is malformed.
            RouteKind.Invalid when match.Error?.Code == OciErrorCodes.ManifestUnknown => 404,
            RouteKind.Invalid => 400,
            RouteKind.UnknownRoute => 404,
            RouteKind.WriteAttempt => 405,
            _ => 200,
        };
        Require(match.StatusCode == expected, $"{match.Kind} answered {match.StatusCode}");
        if (match.IsError)
        {
            Require(match.Error.Code != OciErrorCodes.TagInvalid, "a tag that cannot exist answered TAG_INVALID");
            Require(match.StatusCode != 200, "an error route answered 200");
            CheckError(match.Error, match.Kind == RouteKind.Invalid ? null : OciErrorCodes.Unsupported);
            return $"{match.Kind}: {FuzzInput.Shape(match.Error.Message)}";
        }

        Require(isRead, $"{method} was routed as {match.Kind}");
        var routed = path.AsSpan();
        if (routed.IndexOfAny('?', '#') is >= 0 and var end)
        {
            routed = routed[..end];
        }

        if (match.Kind == RouteKind.Base)
        {
            Require(routed is "/v2" or "/v2/", "a base route for another path");
            return "Base";
        }

        Require(match.Name is not null, $"{match.Kind} without a name");
        CheckAcceptedName(match.Name);
        var suffix = match.Kind switch
        {
            RouteKind.Manifest => "/manifests/" + match.Reference!.ManifestReference,
            RouteKind.Blob => "/blobs/" + match.Digest,
            RouteKind.Referrers => "/referrers/" + match.Digest,
            RouteKind.TagsList => "/tags/list",
            _ => throw new PropertyViolation($"unexpected route kind {match.Kind}"),
        };
        Require(routed.StartsWith("/v2/") && routed.EndsWith(suffix, StringComparison.Ordinal), $"{match.Kind} route does not end with {suffix}");
        if (match.Digest is { } digest)
        {
            CheckDigestRoundTrip(digest);
        }

        if (match.Reference is { IsDigest: false } byTag)
        {
            Require(Tag.IsValid(byTag.Tag), "a routed tag is not a valid tag");
            CheckPrintable(byTag.Canonical, "canonical reference");
        }

        return match.Kind.ToString();
    }

    public static string CheckMirror(string input)
    {
        var newline = input.IndexOf('\n', StringComparison.Ordinal);
        var (nsText, path) = newline < 0 ? (input, "/v2/a/manifests/v1") : (input[..newline], input[(newline + 1)..]);
        string[] ns = [.. nsText.Split('\t')];
        var match = RegistryRoute.Parse("GET", path, ns);
        var plain = RegistryRoute.Parse("GET", path);
        if (plain.Kind is RouteKind.Base or RouteKind.UnknownRoute)
        {
            Require(match.Kind == plain.Kind, $"ns changed a {plain.Kind} route into {match.Kind}");
            return plain.Kind.ToString();
        }

        if (match.IsError)
        {
            Require(match.StatusCode == 400 && match.Error.Code == OciErrorCodes.NameInvalid || match.Kind == plain.Kind, $"ns refused with {match.StatusCode} {match.Error.Code}");
            CheckError(match.Error, null);
            return "error: " + FuzzInput.Shape(match.Error.Message);
        }

        RegistryHost? host = null;
        Require(ns.Length == 1 && RegistryHost.TryParse(ns[0], out host, out _), "a route with ns was accepted without exactly one valid ns");
        Require(match.Name!.Registry == host, $"routed to {match.Name.Registry}, not to ns {host}");
        CheckAcceptedName(match.Name);

        // The full name the proxy answers it under routes to the same repository without ns.
        var suffix = match.Kind switch
        {
            RouteKind.Manifest => "manifests/" + match.Reference!.ManifestReference,
            RouteKind.Blob => "blobs/" + match.Digest,
            RouteKind.Referrers => "referrers/" + match.Digest,
            RouteKind.TagsList => "tags/list",
            _ => throw new PropertyViolation($"unexpected route kind {match.Kind}"),
        };
        var again = RegistryRoute.Parse("GET", "/v2/" + match.ProxiedName + "/" + suffix);
        Require(again.Name == match.Name, $"{match.ProxiedName} does not route back to {match.Name}");
        return "ok";
    }

    public static string CheckDigestAndTag(string input)
    {
        string digestOutcome;
        if (Digest.TryParse(input, out var digest, out var digestError))
        {
            Require(digestError is null, "Digest.TryParse succeeded with an error");
            Require(digest.ToString() == input, "a parsed digest does not format as its input");
            CheckDigestRoundTrip(digest);
            digestOutcome = "digest";
        }
        else
        {
            Require(digest == default, "Digest.TryParse failed but set a digest");
            CheckError(digestError, OciErrorCodes.DigestInvalid);
            digestOutcome = FuzzInput.Shape(digestError.Message);
        }

        var tagOk = Tag.TryValidate(input, out var tagError);
        Require(tagOk == Tag.IsValid(input), "Tag.TryValidate and Tag.IsValid disagree");
        if (tagOk)
        {
            Require(tagError is null, "Tag.TryValidate succeeded with an error");
            Require(input.Length is >= 1 and <= Tag.MaxLength, "an accepted tag has a bad length");
            Require(input[0] is not ('.' or '-'), "an accepted tag starts with '.' or '-'");
            Require(input.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'), "an accepted tag has a character outside [A-Za-z0-9_.-]");
        }
        else
        {
            CheckError(tagError!, OciErrorCodes.TagInvalid);
        }

        if (ImageReference.TryParse(Alpine, input, out var reference, out var referenceError))
        {
            Require(reference.ManifestReference == input, "a manifest reference does not format as its input");
            Require(reference.IsDigest ? reference.Canonical.EndsWith("@" + input, StringComparison.Ordinal) : tagOk, "reference and tag rules disagree");
        }
        else
        {
            CheckError(referenceError, null);
        }

        return $"{digestOutcome} | {(tagOk ? "tag" : FuzzInput.Shape(tagError!.Message))}";
    }

    /// <summary>What every name the proxy accepts must satisfy, however it was spelled.</summary>
    private static void CheckAcceptedName(ImageName name)
    {
        var full = name.ToString();
        Require(full.Length <= ImageNameParser.MaxNameLength, $"accepted name is {full.Length} characters");
        CheckPrintable(full, "accepted name");
        Require(!full.Contains("..", StringComparison.Ordinal), "accepted name contains '..'");
        Require(full.IndexOfAny(['%', '\\', ' ', '@', '?', '#']) < 0, "accepted name contains '%', '\\', ' ', '@', '?' or '#'");
        Require(!name.Repository.Any(char.IsAsciiLetterUpper), "accepted repository has uppercase letters");
        Require(!name.Registry.Value.Any(char.IsAsciiLetterUpper), "accepted registry is not lowercase");
        Require(name.Registry.Value.Length > 0 && !name.Registry.Value.Contains('/', StringComparison.Ordinal), "accepted registry is empty or has a '/'");
        Require(name.Repository.Split('/').All(c => c.Length > 0 && c is not ("." or "..")), "accepted repository has an empty, '.' or '..' component");
        Require(!name.IsDockerHub || name.Repository.Contains('/', StringComparison.Ordinal), "Docker Hub repository without a namespace");

        // Re-parsing the canonical text must give the same name: the ledger keys on it.
        Require(ImageNameParser.TryParse(full, out var again, out _) && again == name, $"canonical name does not re-parse to itself: {full}");
    }

    private static void CheckDigestRoundTrip(Digest digest)
    {
        Require(digest.Algorithm is Digest.Sha256Algorithm or Digest.Sha512Algorithm, "digest of an unsupported algorithm");
        Require(digest.Hex.Length == (digest.Algorithm == Digest.Sha256Algorithm ? 64 : 128), "digest of the wrong length");
        Require(digest.Hex.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'), "digest is not lowercase hex");
        Require(Digest.TryParse(digest.ToString(), out var again, out _) && again == digest, "digest does not re-parse to itself");
    }

    /// <summary>
    /// Error messages are echoed to clients and logs: printable ASCII only, and bounded whatever
    /// the input's size (names are cut at 512 characters before any echo).
    /// </summary>
    private static void CheckError(OciError error, string? code)
    {
        Require(code is null || error.Code == code, $"error code {error.Code}, expected {code}");
        Require(error.Message.Length is > 0 and <= 2048, $"error message of {error.Message.Length} characters");
        CheckPrintable(error.Message, "error message");
    }

    private static void CheckPrintable(string value, string what) =>
        Require(value.All(c => c is >= ' ' and <= '~'), $"{what} has a character outside printable ASCII");
}
