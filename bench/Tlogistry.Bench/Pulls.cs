using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;

namespace Tlogistry.Bench;

/// <summary>One manifest pull as a client saw it.</summary>
internal sealed record Pull(int Status, double Ms, string? Digest, bool FirstSeen, string? LogIndex);

/// <summary>
/// The .NET load driver for what wrk does not fit: pulls whose tags change per request
/// (cold first sightings) and a burst of concurrent first pulls of one tag.
/// </summary>
internal static class Pulls
{
    public const string ManifestAccept =
        "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
        + "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";

    public static HttpClient Client() => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
    })
    { Timeout = TimeSpan.FromMinutes(5) };

    /// <summary>GETs a manifest by tag and times it to the last body byte.</summary>
    public static async Task<Pull> ManifestAsync(HttpClient http, Uri server, string tag)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, new Uri(server, $"/v2/{Seed.Repository}/manifests/{tag}"));
        req.Headers.TryAddWithoutValidation("Accept", ManifestAccept);
        var t0 = Stopwatch.GetTimestamp();
        using var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        var body = await resp.Content.ReadAsByteArrayAsync();
        var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        var digest = resp.IsSuccessStatusCode ? "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body)) : null;
        return new Pull(
            (int)resp.StatusCode,
            ms,
            digest,
            resp.Headers.Contains("Tlog-First-Seen"),
            resp.Headers.TryGetValues("Tlog-Logindex", out var li) ? li.FirstOrDefault() : null);
    }

    /// <summary>
    /// <paramref name="count"/> clients, each on its own connection opened beforehand, pull
    /// the same tag at one signal. Latency counts from the signal to each client's last byte.
    /// </summary>
    public static async Task<(Pull[] Pulls, double WallMs, int Connections)> BurstAsync(Uri server, string tag, int count)
    {
        using var http = Client();

        // Open the connections first, so the burst measures the server, not TCP handshakes.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var opened = 0;
        var warm = Enumerable.Range(0, count).Select(async _ =>
        {
            await gate.Task;
            using var r = await http.GetAsync(new Uri(server, "/v2/"), HttpCompletionOption.ResponseContentRead);
            Interlocked.Increment(ref opened);
        }).ToArray();
        gate.SetResult();
        await Task.WhenAll(warm);

        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var t0 = 0L;
        var pulls = Enumerable.Range(0, count).Select(async _ =>
        {
            await go.Task;
            return await ManifestAsync(http, server, tag);
        }).ToArray();
        t0 = Stopwatch.GetTimestamp();
        go.SetResult();
        var results = await Task.WhenAll(pulls);
        return (results, Stopwatch.GetElapsedTime(t0).TotalMilliseconds, opened);
    }

    /// <summary>Streams a blob with large reads, checking its length and digest.</summary>
    public static async Task<double> BlobAsync(HttpClient http, Uri server, Blob blob)
    {
        var buffer = new byte[1 << 20];
        var t0 = Stopwatch.GetTimestamp();
        using var resp = await http.GetAsync(new Uri(server, $"/v2/{Seed.Repository}/blobs/{blob.Digest}"), HttpCompletionOption.ResponseHeadersRead);
        resp.EnsureSuccessStatusCode();
        await using var body = await resp.Content.ReadAsStreamAsync();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }

        var digest = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        if (total != blob.Size || digest != blob.Digest)
        {
            throw new InvalidOperationException($"{server}: got {total} bytes {digest}, want {blob.Size} {blob.Digest}");
        }

        return total / (1024.0 * 1024.0) / Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }
}
