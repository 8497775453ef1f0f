using System.Net;
using System.Net.Http.Headers;
using AngleSharp.Html.Parser;
using Tlogistry.Registry.Tlog;
using Tlogistry.Signing;

namespace Tlogistry.Tests.Client;

/// <summary>
/// After a key rotation the proxy publishes every key whose sightings it honours
/// (<c>/tlog/keys</c>), and everything that reads them from it — <c>history</c>, <c>audit</c>,
/// and the commands the <c>/history</c> page gives — checks pre-rotation sightings as the
/// proxy does, instead of calling them bad; <c>/tlog/key.pem</c> stays the current key.
/// </summary>
[Trait("Category", "E2E")]
public sealed class PublishedKeysTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AfterARotationEveryClientTrustsTheKeysTheProxyPublishesAndThePageCommandsPass()
    {
        using var work = new TempDirectory("tlogistry-keys-");
        await using var upstream = await TagUpstream.StartAsync();
        var data = work.Combine("data");
        await using (var before = await ProxyHost.StartAsync(data, upstream.Mapping, null, Ct))
        {
            await PullAsync(before, "old");
        }

        // The rotation: a new signing key, the old one kept as trusted.
        var keyFile = Path.Combine(data, "signing-key.pem");
        var oldPub = work.Combine("old.pub");
        byte[] oldDer;
        using (var old = InstanceKey.LoadOrCreate(keyFile))
        {
            oldDer = old.PublicKeyDer;
            await File.WriteAllTextAsync(oldPub, old.PublicKeyPem + "\n", Ct);
        }

        File.Delete(keyFile);
        byte[] newDer;
        using (var created = InstanceKey.LoadOrCreate(keyFile))
        {
            newDer = created.PublicKeyDer;
        }

        var port = FreePort.Next();
        var settings = new Dictionary<string, string?>
        {
            ["Tlogistry:TrustedKeys:0"] = oldPub,
            ["Tlogistry:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tlogistry:PublicUrl"] = $"http://127.0.0.1:{port}/",
        };
        await using var proxy = await ProxyHost.StartAsync(data, upstream.Mapping, settings, Ct);
        await PullAsync(proxy, "new");
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };

        var keys = PublishedKeys.Read(await http.GetByteArrayAsync(TrustApi.KeysPath, Ct));
        Assert.Equal([(newDer, KeyRole.Current), (oldDer, KeyRole.Previous)], keys.Select(k => (k.PublicKeyDer, k.Role)));
        Assert.Equal(newDer, PublicKeyPem.Read(await http.GetStringAsync(TrustApi.KeyPath, Ct), "key.pem"));
        Assert.Equal(oldDer, PublicKeyPem.Read(await http.GetStringAsync($"{TrustApi.KeysPath}/{keys[1].KeyId}.pem", Ct), "old"));

        var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = work.Combine("xdg") };
        var history = await CliProcess.RunAsync(env, "history", "scripted.test/app", "--proxy", proxy.BaseUri.ToString());
        Assert.True(history.ExitCode == 0, history.StandardOutput + history.StandardError);
        Assert.Contains("old", history.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("new", history.StandardOutput, StringComparison.Ordinal);

        var audit = await CliProcess.RunAsync(env, "audit", "--proxy", proxy.BaseUri.ToString());
        Assert.True(audit.ExitCode == 0, audit.StandardOutput + audit.StandardError);

        // The page marks the old sighting verified; its own commands, run as given, verify it too.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/history?image=scripted.test/app:old");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        using var response = await http.SendAsync(request, Ct);
        var page = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync(Ct));
        var row = Assert.Single(page.QuerySelectorAll("#sightings tr.sighting"));
        Assert.Equal("verified", row.QuerySelector(".status")!.TextContent);
        foreach (var fetch in page.GetElementById("trust")!.TextContent.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var words = fetch.Split(' ');
            await File.WriteAllBytesAsync(work.Combine(words[2]), await http.GetByteArrayAsync(new Uri(words[3]), Ct), Ct);
        }

        var command = row.QuerySelector("pre.verify")!.TextContent.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, command.Count(w => w == "--key"));
        var args = command[2..].Select(a => a.EndsWith(".json", StringComparison.Ordinal) || a.EndsWith(".pem", StringComparison.Ordinal) ? work.Combine(a) : a).ToArray();
        var verify = await CliProcess.RunAsync(env, ["verify", .. args]);
        Assert.True(verify.ExitCode == 0, verify.StandardOutput + verify.StandardError);
    }

    private static async Task PullAsync(ProxyHost proxy, string tag)
    {
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        using var response = await http.GetAsync($"/v2/scripted.test/app/manifests/{tag}", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
