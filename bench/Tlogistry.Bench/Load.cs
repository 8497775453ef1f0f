using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Tlogistry.Bench;

/// <summary>One timed load run against one server.</summary>
internal sealed record LoadResult(long Requests, double Seconds, long Bytes, long Errors, double P50Ms, double P99Ms)
{
    public double RequestsPerSecond => Requests / Seconds;

    public double MiBPerSecond => Bytes / (1024.0 * 1024.0) / Seconds;
}

/// <summary>How load is made on one path: the same for every server measured on it.</summary>
internal interface ILoad
{
    string Describe { get; }

    Task<LoadResult> RunAsync(Uri url, int seconds);
}

/// <summary>
/// wrk (Debian's), with a Lua script that sets the method and Accept header and prints a
/// machine-readable summary line: requests, duration, bytes, errors, p50 and p99.
/// </summary>
internal sealed class WrkLoad : ILoad
{
    private readonly string _script;
    private readonly int _threads;
    private readonly int _connections;

    public WrkLoad(string work, string name, string? accept, int threads, int connections)
    {
        _threads = Math.Min(threads, connections);
        _connections = connections;
        _script = Path.Combine(work, $"wrk-{name}.lua");
        var header = accept is null ? "" : $"wrk.headers[\"Accept\"] = \"{accept}\"\n";
        File.WriteAllText(_script, header + """
            done = function(summary, latency, requests)
              local e = summary.errors
              io.write(string.format("WRK-RESULT %d %d %d %d %d %d %d\n",
                summary.requests, summary.duration, summary.bytes,
                e.connect + e.read + e.write + e.timeout, e.status,
                latency:percentile(50), latency:percentile(99)))
            end
            """);
    }

    public string Describe => $"wrk -t{_threads} -c{_connections}";

    public async Task<LoadResult> RunAsync(Uri url, int seconds)
    {
        var psi = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { $"-t{_threads}", $"-c{_connections}", $"-d{seconds}s", "--timeout", "60s", "--latency", "-s", _script, url.AbsoluteUri })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        var line = (await stdout).Split('\n').FirstOrDefault(l => l.StartsWith("WRK-RESULT ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"wrk printed no result for {url}:\n{await stdout}\n{await stderr}");
        var f = line.Split(' ').Skip(1).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return new LoadResult(f[0], f[1] / 1e6, f[2], f[3] + f[4], f[5] / 1000.0, f[6] / 1000.0);
    }
}

/// <summary>
/// A small keep-alive HTTP/1.1 load loop over raw sockets, for what wrk 4.1 cannot do: it
/// waits for a body after a HEAD answer that carries a Content-Length. Each connection sends
/// one request at a time, as wrk does, and the loop is as light: no HTTP client stack.
/// </summary>
internal sealed class RawLoad(string method, string? accept, int connections) : ILoad
{
    public string Describe => $"raw {method} loop -c{connections}";

    public async Task<LoadResult> RunAsync(Uri url, int seconds)
    {
        var request = Encoding.ASCII.GetBytes(
            $"{method} {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\n" + (accept is null ? "" : $"Accept: {accept}\r\n") + "\r\n");
        var head = method == "HEAD";
        var stopAt = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        var loops = Enumerable.Range(0, connections).Select(_ => Task.Run(() => LoopAsync(url, request, head, stopAt))).ToArray();
        var results = await Task.WhenAll(loops);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var latencies = results.SelectMany(r => r.Latencies).ToArray();
        Array.Sort(latencies);
        return new LoadResult(
            latencies.Length,
            elapsed,
            results.Sum(r => r.Bytes),
            results.Sum(r => r.Errors),
            Percentile(latencies, 0.50) * 1000.0 / Stopwatch.Frequency,
            Percentile(latencies, 0.99) * 1000.0 / Stopwatch.Frequency);
    }

    internal static double Percentile(long[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    private static async Task<(List<long> Latencies, long Bytes, long Errors)> LoopAsync(Uri url, byte[] request, bool head, long stopAt)
    {
        var latencies = new List<long>(1 << 16);
        long bytes = 0;
        long errors = 0;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(url.Host, url.Port);
        var buffer = new byte[64 * 1024];
        while (Stopwatch.GetTimestamp() < stopAt)
        {
            var t0 = Stopwatch.GetTimestamp();
            await socket.SendAsync(request, SocketFlags.None);
            var filled = 0;
            int headerEnd;
            while ((headerEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None);
                if (n == 0)
                {
                    throw new IOException($"{url.Authority} closed the connection");
                }

                filled += n;
            }

            var headers = buffer.AsSpan(0, headerEnd);
            var ok = headers.Length > 12 && headers[9] == (byte)'2';
            var length = ContentLength(headers);
            var remaining = (head ? 0 : length) - (filled - headerEnd - 4);
            while (remaining > 0)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), SocketFlags.None);
                if (n == 0)
                {
                    throw new IOException($"{url.Authority} closed the connection mid-body");
                }

                remaining -= n;
            }

            latencies.Add(Stopwatch.GetTimestamp() - t0);
            bytes += headerEnd + 4 + (head ? 0 : length);
            if (!ok)
            {
                errors++;
            }
        }

        return (latencies, bytes, errors);
    }

    private static long ContentLength(ReadOnlySpan<byte> headers)
    {
        var name = "\r\ncontent-length:"u8;
        for (var i = 0; i + name.Length < headers.Length; i++)
        {
            if (headers[i] == '\r' && Ascii.EqualsIgnoreCase(headers.Slice(i, name.Length), name))
            {
                var rest = headers[(i + name.Length)..];
                rest = rest.TrimStart((byte)' ');
                return Utf8Parser.TryParse(rest, out long value, out _) ? value : 0;
            }
        }

        return 0;
    }
}
