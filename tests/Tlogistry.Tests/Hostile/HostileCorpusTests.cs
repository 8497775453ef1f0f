using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Tlogistry.Tests.Hostile;

/// <summary>
/// Replays corpus.txt against a running proxy over raw TCP (so no client library tidies
/// the request first). Every entry must get a 4xx OCI error, never a 5xx or a dropped
/// connection, and a listener on the loopback port the corpus aims at must never be dialled.
/// </summary>
[Trait("Category", "E2E")]
public sealed class HostileCorpusTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryHostileRequestGetsA4xxOciErrorAndNoRefusedAddressIsDialled()
    {
        var corpus = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Hostile", "corpus.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToList();
        Assert.True(corpus.Count >= 200, $"corpus has {corpus.Count} entries");

        using var silent = new TcpListener(IPAddress.IPv6Any, 0);
        silent.Server.DualMode = true;
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        await using var upstream = await ScriptedRegistry.StartAsync();
        using var data = new TempDirectory();
        await using var proxy = await ProxyHost.StartAsync(data.Path, ["docker.io=" + upstream.BaseUri], cancellationToken: Ct);

        var failures = new List<string>();
        foreach (var line in corpus)
        {
            var serverLevel = line.StartsWith('!');
            var entry = line.TrimStart('!').Replace("{PORT}", port, StringComparison.Ordinal);
            var (status, headers, body) = await SendRawAsync(proxy.Port, entry);
            var head = entry.StartsWith("HEAD ", StringComparison.Ordinal) || serverLevel;
            if (status is < 400 or >= 500)
            {
                failures.Add($"{status} for {Clip(entry)}");
            }
            else if (!head && !IsOciError(body))
            {
                failures.Add($"{status} without an OCI error body for {Clip(entry)}: {Clip(body)}");
            }
            else if (headers.Contains("\nX-Injected", StringComparison.OrdinalIgnoreCase) || headers.Contains("\nSet-Cookie", StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"injected header reflected for {Clip(entry)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.False(silent.Pending(), "the proxy connected to a refused loopback address");

        // The proxy is still healthy afterwards.
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        using var v2 = await http.GetAsync("/v2/", Ct);
        Assert.Equal(HttpStatusCode.OK, v2.StatusCode);
    }

    private static bool IsOciError(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var error = doc.RootElement.GetProperty("errors")[0];
            return error.GetProperty("code").GetString() is { Length: > 0 } && error.GetProperty("message").GetString() is { Length: > 0 };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            return false;
        }
    }

    private static async Task<(int Status, string Headers, string Body)> SendRawAsync(int port, string entry)
    {
        var parts = entry.Split('\t');
        var request = new StringBuilder();
        request.Append(parts[0]).Append(" HTTP/1.1\r\n");
        if (!parts.Skip(1).Any(h => h.StartsWith("Host:", StringComparison.OrdinalIgnoreCase)))
        {
            request.Append("Host: 127.0.0.1\r\n");
        }

        foreach (var header in parts.Skip(1))
        {
            request.Append(header).Append("\r\n");
        }

        request.Append("Connection: close\r\n\r\n");
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, Ct);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request.ToString()), Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using var reader = new MemoryStream();
        await stream.CopyToAsync(reader, timeout.Token);
        var text = Encoding.UTF8.GetString(reader.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (!text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || split < 0)
        {
            return (0, text, "");
        }

        var status = int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        var headers = text[..split];
        var body = text[(split + 4)..];
        if (headers.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }

        return (status, headers, body);
    }

    private static string Dechunk(string chunked)
    {
        var result = new StringBuilder();
        var at = 0;
        while (at < chunked.Length)
        {
            var eol = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            if (eol < 0)
            {
                break;
            }

            var size = Convert.ToInt32(chunked[at..eol].Split(';')[0], 16);
            if (size == 0)
            {
                break;
            }

            result.Append(chunked, eol + 2, Math.Min(size, chunked.Length - eol - 2));
            at = eol + 2 + size + 2;
        }

        return result.ToString();
    }

    private static string Clip(string s) => s.Length > 160 ? s[..160] + "…" : s;
}
