using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Tlogistry.Bench;

/// <summary>
/// Measures tlogistry against the registry behind it, in the same run on the same machine:
/// warm GET-by-tag throughput, 64 MiB blob throughput, and the proxy's peak RSS while a
/// 1 GiB blob streams through. Prints ratios; asserts nothing.
/// </summary>
internal static class Program
{
    private const int Concurrency = 8;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length < 1 || !File.Exists(args[0]))
        {
            Console.Error.WriteLine("usage: Tlogistry.Bench <path to tlogistry.dll> [tag-requests] [blob-rounds]");
            return 2;
        }

        var tagRequests = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4000;
        var blobRounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8;
        var work = Directory.CreateTempSubdirectory("tlogistry-bench-");
        try
        {
            await using var registry = await Proc.StartRegistryAsync(work.FullName);
            using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, MaxConnectionsPerServer = 64 }) { Timeout = TimeSpan.FromMinutes(10) };
            var upstream = registry.BaseUri;
            Console.WriteLine($"upstream: CNCF Distribution at {upstream}");

            var small = await Push.BlobAsync(http, upstream, "library/bench", 4 * 1024);
            var big = await Push.BlobAsync(http, upstream, "library/bench", 64L << 20);
            var huge = await Push.BlobAsync(http, upstream, "library/bench", 1L << 30);
            await Push.ManifestAsync(http, upstream, "library/bench", "v1", small, [big]);

            await using var proxy = await Proc.StartProxyAsync(args[0], work.FullName, upstream);
            var viaProxy = proxy.BaseUri;
            Console.WriteLine($"proxy: tlogistry at {viaProxy} (pid {proxy.Pid})");

            var direct = new Uri(upstream, "/v2/library/bench/manifests/v1");
            var proxied = new Uri(viaProxy, "/v2/bench/manifests/v1");
            using (var first = await GetManifest(http, proxied))
            {
                Console.WriteLine($"first sighting: {(int)first.StatusCode}, First-Seen={first.Headers.Contains("Tlog-First-Seen")}");
            }

            // Warm both paths, then alternate rounds so drift on the machine hits both alike.
            await TagRound(http, direct, 200);
            await TagRound(http, proxied, 200);
            var directRps = new List<double>();
            var proxyRps = new List<double>();
            for (var round = 0; round < 3; round++)
            {
                directRps.Add(await TagRound(http, direct, tagRequests));
                proxyRps.Add(await TagRound(http, proxied, tagRequests));
            }

            var dTag = Median(directRps);
            var pTag = Median(proxyRps);
            Console.WriteLine($"warm GET by tag: direct {dTag:0} req/s, proxy {pTag:0} req/s, ratio {pTag / dTag:0.00} (target >= 0.80)");

            var bigDirect = new Uri(upstream, $"/v2/library/bench/blobs/{big.Digest}");
            var bigProxy = new Uri(viaProxy, $"/v2/bench/blobs/{big.Digest}");
            await BlobRound(http, bigDirect, big, 1, verify: true);
            await BlobRound(http, bigProxy, big, 1, verify: true);
            var dBlob = new List<double>();
            var pBlob = new List<double>();
            for (var round = 0; round < 3; round++)
            {
                dBlob.Add(await BlobRound(http, bigDirect, big, blobRounds));
                pBlob.Add(await BlobRound(http, bigProxy, big, blobRounds));
            }

            var cpuBefore = proxy.CpuSeconds();
            await BlobRound(http, bigProxy, big, blobRounds);
            var cpuPerGiB = (proxy.CpuSeconds() - cpuBefore) / (blobRounds * big.Size / (double)(1L << 30));
            Console.WriteLine($"proxy CPU while streaming: {cpuPerGiB:0.00} s per GiB");
            var dB = Median(dBlob);
            var pB = Median(pBlob);
            Console.WriteLine($"64 MiB blob: direct {dB:0} MiB/s, proxy {pB:0} MiB/s, ratio {pB / dB:0.00} (target >= 0.90)");

            var rssBefore = proxy.PeakRssMiB();
            var hugeRate = await BlobRound(http, new Uri(viaProxy, $"/v2/bench/blobs/{huge.Digest}"), huge, 1, verify: true);
            var rssAfter = proxy.PeakRssMiB();
            Console.WriteLine($"1 GiB blob through the proxy: {hugeRate:0} MiB/s, proxy peak RSS {rssBefore:0} MiB before, {rssAfter:0} MiB after (target < 200 MiB)");
            return 0;
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp directory left behind is harmless.
            }
        }
    }

    private static async Task<HttpResponseMessage> GetManifest(HttpClient http, Uri url)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, url);
        req.Headers.TryAddWithoutValidation("Accept", "application/vnd.oci.image.manifest.v1+json");
        var resp = await http.SendAsync(req);
        await resp.Content.LoadIntoBufferAsync();
        return resp;
    }

    /// <summary>Requests per second for <paramref name="count"/> manifest GETs over 8 concurrent loops.</summary>
    private static async Task<double> TagRound(HttpClient http, Uri url, int count)
    {
        var remaining = count;
        var sw = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                using var resp = await GetManifest(http, url);
                if (resp.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"{url} answered {(int)resp.StatusCode}");
                }
            }
        });
        await Task.WhenAll(loops);
        return count / sw.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// MiB per second for <paramref name="rounds"/> sequential downloads, each checked for
    /// length; with <paramref name="verify"/> also by digest (hashing costs the client CPU
    /// that the proxy and registry share on a small machine, so timed rounds skip it).
    /// </summary>
    private static async Task<double> BlobRound(HttpClient http, Uri url, Blob blob, int rounds, bool verify = false)
    {
        var buffer = new byte[1024 * 1024];
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < rounds; i++)
        {
            using var resp = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
            resp.EnsureSuccessStatusCode();
            await using var body = await resp.Content.ReadAsStreamAsync();
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                if (verify)
                {
                    hash.AppendData(buffer, 0, read);
                }

                total += read;
            }

            var digest = verify ? "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset()) : blob.Digest;
            if (total != blob.Size || digest != blob.Digest)
            {
                throw new InvalidOperationException($"{url}: got {total} bytes {digest}, want {blob.Size} {blob.Digest}");
            }
        }

        return rounds * blob.Size / (1024.0 * 1024.0) / sw.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> xs)
    {
        xs.Sort();
        return xs[xs.Count / 2];
    }
}

internal sealed record Blob(string Digest, long Size, Func<Stream> Open);

/// <summary>Pushes content with the registry's own upload API (no client tools needed).</summary>
internal static class Push
{
    public static async Task<Blob> BlobAsync(HttpClient http, Uri registry, string repo, long size)
    {
        var seed = (int)(size % 1_000_003);
        Stream Open() => new PseudoRandomStream(size, seed);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var s = Open())
        {
            var buf = new byte[1 << 20];
            int n;
            while ((n = await s.ReadAsync(buf)) > 0)
            {
                hash.AppendData(buf, 0, n);
            }
        }

        var digest = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        using var start = await http.PostAsync(new Uri(registry, $"/v2/{repo}/blobs/uploads/"), null);
        start.EnsureSuccessStatusCode();
        var location = new Uri(registry, start.Headers.Location!);
        var put = new UriBuilder(location);
        put.Query = (put.Query.Length > 1 ? put.Query[1..] + "&" : "") + "digest=" + Uri.EscapeDataString(digest);
        await using var body = Open();
        using var content = new StreamContent(body);
        content.Headers.ContentLength = size;
        content.Headers.ContentType = new("application/octet-stream");
        using var done = await http.PutAsync(put.Uri, content);
        done.EnsureSuccessStatusCode();
        return new Blob(digest, size, Open);
    }

    public static async Task ManifestAsync(HttpClient http, Uri registry, string repo, string tag, Blob config, Blob[] layers)
    {
        var sb = new StringBuilder();
        sb.Append("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",");
        sb.Append(CultureInfo.InvariantCulture, $"\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{config.Digest}\",\"size\":{config.Size}}},\"layers\":[");
        sb.AppendJoin(',', layers.Select(l => string.Create(CultureInfo.InvariantCulture, $"{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"{l.Digest}\",\"size\":{l.Size}}}")));
        sb.Append("]}");
        using var content = new StringContent(sb.ToString(), Encoding.UTF8);
        content.Headers.ContentType = new("application/vnd.oci.image.manifest.v1+json");
        using var resp = await http.PutAsync(new Uri(registry, $"/v2/{repo}/manifests/{tag}"), content);
        resp.EnsureSuccessStatusCode();
    }
}

/// <summary>A deterministic stream of pseudo-random bytes of a given length, generated on the fly.</summary>
internal sealed class PseudoRandomStream(long length, int seed) : Stream
{
    private readonly Random _random = new(seed);
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, length - _position);
        _random.NextBytes(buffer[..n]);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Child processes: the upstream registry and the proxy under test.</summary>
internal sealed class Proc : IAsyncDisposable
{
    private readonly Process _process;

    private Proc(Process process, Uri baseUri)
    {
        _process = process;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    public int Pid => _process.Id;

    public static async Task<Proc> StartRegistryAsync(string work)
    {
        var port = FreePort();
        var dir = Path.Combine(work, "registry");
        Directory.CreateDirectory(dir);
        var config = Path.Combine(dir, "config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: error
            storage:
              filesystem:
                rootdirectory: {dir}/data
            http:
              addr: 127.0.0.1:{port}
            """);
        return await StartAsync("docker-registry", ["serve", config], new Uri($"http://127.0.0.1:{port}/"));
    }

    public static Task<Proc> StartProxyAsync(string dll, string work, Uri upstream)
    {
        var port = FreePort();
        return StartAsync("dotnet", [dll, "serve", "--port", port.ToString(CultureInfo.InvariantCulture), "--data-dir", Path.Combine(work, "proxy"),
            "--upstream", "docker.io=" + upstream.GetLeftPart(UriPartial.Authority), "--Logging:LogLevel:Default=Warning"], new Uri($"http://127.0.0.1:{port}/"));
    }

    /// <summary>User plus system CPU time the process has used, in seconds.</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>Peak resident set size (VmHWM) of the process so far, in MiB.</summary>
    public double PeakRssMiB()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
            }
        }

        return double.NaN;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private static async Task<Proc> StartAsync(string file, string[] args, Uri baseUri)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + file);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"[{file}] {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var proc = new Proc(process, baseUri);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 150; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{file} exited with {process.ExitCode}");
            }

            try
            {
                using var r = await http.GetAsync(new Uri(baseUri, "/v2/"));
                return proc;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
            catch (TaskCanceledException)
            {
                await Task.Delay(100);
            }
        }

        await proc.DisposeAsync();
        throw new TimeoutException($"{file} did not answer on {baseUri}");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
