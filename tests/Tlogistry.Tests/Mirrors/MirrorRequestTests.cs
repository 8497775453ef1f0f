using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Tlogistry.Tests.Mirrors;

/// <summary>
/// A scripted client that speaks HTTP/1.1 byte for byte, as containerd does to a mirror, and lies
/// where the protocol lets it: the registry of the path is the one <c>ns</c> names, on every
/// route; spoofed, repeated, empty and respelled <c>ns</c> values are refused with an OCI error,
/// never served from another registry or pinned under another name; a denied registry stays
/// denied when only <c>ns</c> names it; and <c>ns</c> never reaches upstream.
/// </summary>
[Trait("Category", "E2E")]
public sealed class MirrorRequestTests(MirrorFixture f) : IClassFixture<MirrorFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NsChoosesTheRegistryOnEveryRoute()
    {
        var hub = await f.PushAsync(f.Hub, "team/same", "v1", "docker.io team/same v1");
        var ghcr = await f.PushAsync(f.Ghcr, "team/same", "v1", "ghcr.io team/same v1");
        await f.PushAsync(f.Ghcr, "team/same", "only-on-ghcr", "ghcr.io team/same other tag");

        var fromGhcr = await SendAsync("GET", "/v2/team/same/manifests/v1?ns=ghcr.io");
        Assert.Equal(200, fromGhcr.Status);
        Assert.Equal(ghcr.ManifestDigest, fromGhcr.Header("Docker-Content-Digest"));
        Assert.Equal(ghcr.ManifestBytes, fromGhcr.Body);

        // Without ns, and with each of Docker Hub's names, the path is Docker Hub's.
        foreach (var query in new[] { "", "?ns=docker.io", "?ns=index.docker.io", "?ns=registry-1.docker.io", "?ns=Docker.IO:443" })
        {
            var fromHub = await SendAsync("GET", "/v2/team/same/manifests/v1" + query);
            Assert.Equal(200, fromHub.Status);
            Assert.Equal(hub.ManifestDigest, fromHub.Header("Docker-Content-Digest"));
        }

        // Each pin is under its own registry, and a prefixed pull finds the same pin.
        var prefixed = await SendAsync("HEAD", "/v2/ghcr.io/team/same/manifests/v1");
        Assert.Equal(fromGhcr.Header("Tlog-Uuid"), prefixed.Header("Tlog-Uuid"));
        Assert.NotEqual(fromGhcr.Header("Tlog-Uuid"), (await SendAsync("HEAD", "/v2/docker.io/team/same/manifests/v1")).Header("Tlog-Uuid"));

        // Blobs, by digest and passed through, come from the registry ns names.
        var config = await SendAsync("GET", $"/v2/team/same/blobs/{ghcr.ConfigDigest}?ns=ghcr.io");
        Assert.Equal(200, config.Status);
        Assert.Equal(ghcr.ConfigBytes, config.Body);
        Assert.Equal(404, (await SendAsync("GET", $"/v2/team/same/blobs/{ghcr.ConfigDigest}?ns=docker.io")).Status);
        Assert.Equal(ghcr.ManifestBytes, (await SendAsync("GET", $"/v2/team/same/manifests/{ghcr.ManifestDigest}?ns=ghcr.io")).Body);

        // The tag list is ghcr.io's.
        var tags = await SendAsync("GET", "/v2/team/same/tags/list?ns=ghcr.io");
        Assert.Equal(200, tags.Status);
        var listed = JsonDocument.Parse(tags.Body).RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).ToList();
        Assert.Contains("only-on-ghcr", listed);
        var hubTags = JsonDocument.Parse((await SendAsync("GET", "/v2/team/same/tags/list?ns=docker.io")).Body).RootElement.GetProperty("tags");
        Assert.DoesNotContain("only-on-ghcr", hubTags.EnumerateArray().Select(t => t.GetString()));

        // ns is the proxy's to read: no request upstream carried it.
        Assert.DoesNotContain("ns=", f.Ghcr.StandardOutput + f.Ghcr.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("ns=", f.Hub.StandardOutput + f.Hub.StandardError, StringComparison.Ordinal);
    }

    /// <summary>Requests a hostile client may send, and the error code each must get.</summary>
    public static TheoryData<string, int, string> Refused => new()
    {
        // A path that names a registry cannot be moved to another by ns.
        { "/v2/ghcr.io/team/spoof/manifests/v1?ns=docker.io", 400, "NAME_INVALID" },
        { "/v2/docker.io/team/spoof/manifests/v1?ns=ghcr.io", 400, "NAME_INVALID" },
        { "/v2/index.docker.io/team/spoof/manifests/v1?ns=ghcr.io", 400, "NAME_INVALID" },
        { "/v2/ghcr.io/team/spoof/blobs/sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855?ns=docker.io", 400, "NAME_INVALID" },
        { "/v2/ghcr.io/team/spoof/tags/list?ns=docker.io", 400, "NAME_INVALID" },
        { "/v2/ghcr.io/team/spoof/referrers/sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855?ns=docker.io", 400, "NAME_INVALID" },

        // Repeated, in any case or encoding, or empty.
        { "/v2/team/spoof/manifests/v1?ns=ghcr.io&ns=ghcr.io", 400, "NAME_INVALID" },
        { "/v2/team/spoof/manifests/v1?ns=ghcr.io&ns=docker.io", 400, "NAME_INVALID" },
        { "/v2/team/spoof/manifests/v1?ns=ghcr.io&NS=docker.io", 400, "NAME_INVALID" },
        { "/v2/team/spoof/manifests/v1?n%73=docker.io&ns=ghcr.io", 400, "NAME_INVALID" },
        { "/v2/team/spoof/manifests/v1?ns=", 400, "NAME_INVALID" },
        { "/v2/team/spoof/manifests/v1?ns", 400, "NAME_INVALID" },

        // Other spellings of a registry are refused as they are in a path.
        { "/v2/team/spoof/manifests/v1?ns=ghcr.io.", 400, "NAME_INVALID" },
        { "/v2/team/spoof/manifests/v1?ns=ghcr.io:0443", 400, "NAME_INVALID" },
        { "/v2/team/spoof/manifests/v1?ns=ghcr%2Eio%2F..", 400, "NAME_INVALID" },
        { "/v2/team/spoof/manifests/v1?ns=ghcr.io%2Fother", 400, "NAME_INVALID" },
        { "/v2/team/spoof/manifests/v1?ns=docker.io%00", 400, "NAME_INVALID" },

        // A mapping's address is not a name, in any spelling; an unmapped address is another destination, denied by the guard.
        { "/v2/team/spoof/manifests/v1?ns=127.0.0.1:{ghcr}", 400, "NAME_INVALID" },
        { "/v2/team/spoof/manifests/v1?ns=2130706433:{ghcr}", 400, "NAME_INVALID" },
        { "/v2/team/spoof/manifests/v1?ns=0x7f.0.0.1:{ghcr}", 400, "NAME_INVALID" },
        { "/v2/team/spoof/manifests/v1?ns=127.1:{ghcr}", 400, "NAME_INVALID" },
        { "/v2/team/spoof/manifests/v1?ns=%5B::ffff:127.0.0.1%5D:{ghcr}", 400, "NAME_INVALID" },
        { "/v2/team/spoof/manifests/v1?ns=[::1]:{ghcr}", 403, "DENIED" },

        // Allow/deny applies to the registry ns names.
        { "/v2/team/spoof/manifests/v1?ns=denied.example.test", 403, "DENIED" },
        { "/v2/team/spoof/manifests/v1?ns=DENIED.example.test:443", 403, "DENIED" },
        { "/v2/denied.example.test/team/spoof/manifests/v1?ns=denied.example.test", 403, "DENIED" },
        { "/v2/team/spoof/blobs/sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855?ns=denied.example.test", 403, "DENIED" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task AHostileNsIsRefusedWithAnOciError(string target, int status, string code)
    {
        await f.PushAsync(f.Hub, "team/spoof", "v1", "docker.io team/spoof v1");
        var port = f.Ghcr.BaseUri.Port.ToString(CultureInfo.InvariantCulture);
        var response = await SendAsync("GET", target.Replace("{ghcr}", port, StringComparison.Ordinal));
        Assert.Equal(status, response.Status);
        Assert.StartsWith("application/json", response.Header("Content-Type"), StringComparison.Ordinal);
        var error = JsonDocument.Parse(response.Body).RootElement.GetProperty("errors")[0];
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));

        // Nothing was pinned for the refused request: the only pin, if any, is Docker Hub's from an honest pull.
        Assert.Null(response.Header("Tlog-Uuid"));
    }

    [Fact]
    public async Task AMovedTagOnTheNsRegistryIsRefusedNamingTagDigestsAndEntry()
    {
        var first = await f.PushAsync(f.Ghcr, "team/moves", "v1", "ghcr.io team/moves v1");
        await f.PushAsync(f.Hub, "team/moves", "v1", "docker.io team/moves v1, never moves");
        var pinned = await SendAsync("GET", "/v2/team/moves/manifests/v1?ns=ghcr.io");
        Assert.Equal(first.ManifestDigest, pinned.Header("Docker-Content-Digest"));
        Assert.Equal(200, (await SendAsync("GET", "/v2/team/moves/manifests/v1?ns=docker.io")).Status);

        var moved = await f.PushAsync(f.Ghcr, "team/moves", "v1", "ghcr.io team/moves v1, moved");
        var sentence = $"tag \"ghcr.io/team/moves:v1\" moved: upstream now serves \"{moved.ManifestDigest}\", but it was pinned to \"{first.ManifestDigest}\" "
            + $"by log entry {pinned.Header("Tlog-Logindex")} (uuid {pinned.Header("Tlog-Uuid")}); refused: digest mismatch";
        foreach (var method in new[] { "GET", "HEAD" })
        {
            var refused = await SendAsync(method, "/v2/team/moves/manifests/v1?ns=ghcr.io");
            Assert.Equal(409, refused.Status);

            // containerd resolves with HEAD and shows only the status line: the reason phrase is the sentence.
            Assert.Equal(sentence, refused.Reason);
            if (method == "GET")
            {
                var error = JsonDocument.Parse(refused.Body).RootElement.GetProperty("errors")[0];
                Assert.Equal("DENIED", error.GetProperty("code").GetString());
                Assert.Equal(sentence, error.GetProperty("message").GetString());
            }
        }

        // Docker Hub's image of the same name is untouched.
        Assert.Equal(200, (await SendAsync("GET", "/v2/team/moves/manifests/v1?ns=docker.io")).Status);
    }

    private sealed record RawResponse(int Status, string Reason, IReadOnlyList<(string Name, string Value)> Headers, byte[] Body)
    {
        public string? Header(string name) => Headers.Where(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault();
    }

    /// <summary>One request, written as given (no normalisation of the target), on its own connection.</summary>
    private async Task<RawResponse> SendAsync(string method, string target)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", f.Proxy.Port, Ct);
        await using var stream = tcp.GetStream();
        var request = $"{method} {target} HTTP/1.1\r\nHost: {f.Proxy.HostPort}\r\nAccept: application/vnd.oci.image.manifest.v1+json\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), Ct);
        using var all = new MemoryStream();
        await stream.CopyToAsync(all, Ct);
        var bytes = all.ToArray();
        var end = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        var head = Encoding.ASCII.GetString(bytes, 0, end).Split("\r\n");
        var statusLine = head[0].Split(' ', 3);
        var headers = head[1..].Select(l => (l[..l.IndexOf(':', StringComparison.Ordinal)], l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim())).ToList();
        var body = bytes[(end + 4)..];
        if (headers.Any(h => h.Item1.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)))
        {
            body = Unchunk(body);
        }

        return new RawResponse(int.Parse(statusLine[1], CultureInfo.InvariantCulture), statusLine.Length > 2 ? statusLine[2] : "", headers, method == "HEAD" ? [] : body);
    }

    private static byte[] Unchunk(byte[] chunked)
    {
        using var output = new MemoryStream();
        var i = 0;
        while (true)
        {
            var lineEnd = chunked.AsSpan(i).IndexOf("\r\n"u8) + i;
            var size = int.Parse(Encoding.ASCII.GetString(chunked, i, lineEnd - i).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return output.ToArray();
            }

            output.Write(chunked, lineEnd + 2, size);
            i = lineEnd + 2 + size + 2;
        }
    }
}
