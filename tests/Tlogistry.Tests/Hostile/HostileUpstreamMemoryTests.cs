using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Tlogistry.Tests.Hostile;

/// <summary>
/// Memory stays bounded whatever upstreams answer. A hostile registry, reachable by any client,
/// answers ten thousand distinct repositories with the longest token the proxy accepts (in a
/// token response padded to the size it reads) and manifests by digest, one in 25 at the 4 MiB
/// manifest limit: every answer is one the proxy keeps, so only the caches' byte bounds hold the
/// proxy's resident memory down. The proxy runs as its own process; its RSS is read from /proc.
/// </summary>
public sealed class HostileUpstreamMemoryTests
{
    private const int Repositories = 10_000;
    private const long MaxResidentBytes = 300_000_000;
    private const int TokenLength = 16 * 1024;
    private const int TokenResponseBytes = 60 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TenThousandHostileRepositoriesWithMaximalAnswersLeaveTheProxyUnder300MB()
    {
        var small = ManifestOfSize(64 * 1024);
        var large = ManifestOfSize((4 * 1024 * 1024) - 1024);
        var smallDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(small));
        var largeDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(large));
        var tokensIssued = 0;
        await using var upstream = await ScriptedRegistry.StartAsync();
        var realm = new Uri(upstream.BaseUri, "/token");
        upstream.Handler = async c =>
        {
            if (c.Request.Path == "/token")
            {
                Interlocked.Increment(ref tokensIssued);
                var scope = c.Request.Query["scope"].ToString();
                c.Response.ContentType = "application/json";
                await c.Response.Body.WriteAsync(TokenResponse(scope), c.RequestAborted);
                return;
            }

            if (!c.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal))
            {
                c.Response.StatusCode = 401;
                c.Response.Headers.WWWAuthenticate = $"Bearer realm=\"{realm}\",service=\"hostile\"";
                return;
            }

            var bytes = c.Request.Path.Value!.EndsWith(largeDigest, StringComparison.Ordinal) ? large : small;
            c.Response.ContentType = "application/vnd.oci.image.manifest.v1+json";
            c.Response.ContentLength = bytes.Length;
            await c.Response.Body.WriteAsync(bytes, c.RequestAborted);
        };

        using var work = new TempDirectory();
        await using var proxy = await ServeProcess.StartAsync(work.Combine("data"), ["hostile.test=" + upstream.BaseUri], Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri, Timeout = TimeSpan.FromSeconds(120) };
        var idle = await proxy.StatusBytesAsync("VmRSS", Ct);

        var failures = 0;
        await Parallel.ForAsync(0, Repositories, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (i, ct) =>
        {
            var digest = i % 25 == 0 ? largeDigest : smallDigest;
            using var response = await http.GetAsync($"/v2/hostile.test/r{i}/manifests/{digest}", HttpCompletionOption.ResponseHeadersRead, ct);
            await response.Content.CopyToAsync(Stream.Null, ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Interlocked.Increment(ref failures);
            }
        });

        var resident = await proxy.StatusBytesAsync("VmRSS", Ct);
        var peak = await proxy.StatusBytesAsync("VmHWM", Ct);
        var figures = $"proxy RSS {idle / 1e6:0} MB idle, {resident / 1e6:0} MB after {Repositories} hostile repositories, peak {peak / 1e6:0} MB";
        TestContext.Current.SendDiagnosticMessage(figures);
        TestContext.Current.TestOutputHelper?.WriteLine(figures);

        // The hostile answers were all taken: each repository cost a maximal token and a manifest.
        Assert.Equal(0, failures);
        Assert.True(Volatile.Read(ref tokensIssued) >= Repositories, $"{tokensIssued} tokens issued");
        Assert.True(resident <= MaxResidentBytes, figures);
    }

    /// <summary>A token of the longest accepted length, unique to the scope, in a response padded to near the read limit.</summary>
    private static byte[] TokenResponse(string scope)
    {
        var token = (scope + new string('x', TokenLength))[..TokenLength].Replace(':', '.').Replace('/', '.');
        var body = new JsonObject { ["token"] = token, ["access_token"] = token, ["expires_in"] = 86_400 };
        var unpadded = Encoding.UTF8.GetByteCount(body.ToJsonString());
        body["padding"] = new string('p', Math.Max(0, TokenResponseBytes - unpadded - 16));
        return Encoding.UTF8.GetBytes(body.ToJsonString());
    }

    /// <summary>A valid image manifest of about <paramref name="size"/> bytes (an annotation makes up the size).</summary>
    private static byte[] ManifestOfSize(int size)
    {
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = new JsonObject
            {
                ["mediaType"] = "application/vnd.oci.image.config.v1+json",
                ["digest"] = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
                ["size"] = 2,
            },
            ["layers"] = new JsonArray(),
            ["annotations"] = new JsonObject { ["org.example.padding"] = new string('a', size - 400) },
        };
        return Encoding.UTF8.GetBytes(manifest.ToJsonString());
    }
}
