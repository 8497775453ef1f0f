using System.Net;
using Tlogistry.Signing;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// <c>tlogistry index rebuild</c> after a key rotation: five sightings, two by the old key and
/// three by the new one. Given both keys it restores all five, from the embedded log and from
/// Rekor v1 (searched once per key); given only the new key it restores three and exits 1,
/// naming the entries it could not verify, instead of a clean "done".
/// </summary>
[Trait("Category", "E2E")]
public sealed class RotationRebuildTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("embedded")]
    [InlineData("rekor-v1")]
    public async Task ARebuildWithEveryKeyRestoresEverySightingAcrossARotation(string mode)
    {
        using var work = new TempDirectory("tlogistry-rotation-");
        await using var upstream = await TagUpstream.StartAsync();
        await using var log = mode == "embedded" ? null : await LogServeProcess.StartAsync(work.Combine("log"), Ct);
        var data = work.Combine("data");
        var logFlags = log is null ? new List<string>() : ["--log", $"rekor-v1={log.BaseUri}", "--trusted-root", log.TrustedRootPath];
        var oldPub = await PinAcrossRotationAsync(upstream, data, work.Combine("old.pub"), log);

        SightingStore.Delete(data);
        var both = await CliProcess.RunAsync(null, ["index", "rebuild", "--data-dir", data, .. logFlags, "--trusted-key", oldPub]);
        Assert.True(both.ExitCode == 0, both.StandardError);
        Assert.Contains("5 sightings added", both.StandardError, StringComparison.Ordinal);
        Assert.Equal(5, await CountPinsAsync(data, upstream, logFlags, oldPub));

        // audit reads the log for both keys too: all five entries are ours, each explained by the rebuilt store.
        var newPub = work.Combine("new.pub");
        using (var current = InstanceKey.LoadOrCreate(Path.Combine(data, "signing-key.pem")))
        {
            await File.WriteAllTextAsync(newPub, current.PublicKeyPem + "\n", Ct);
        }

        var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = work.Combine("xdg") };
        string[] auditLog = log is null ? [] : ["--log", $"rekor-v1={log.BaseUri}", "--trusted-root", log.TrustedRootPath];
        var audit = await CliProcess.RunAsync(env, ["audit", "--data-dir", data, .. auditLog, "--key", newPub, "--key", oldPub]);
        Assert.True(audit.ExitCode == 0, audit.StandardOutput + audit.StandardError);
        Assert.Contains("5 of ours", audit.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARebuildMissingAKeyReportsTheSightingsItCannotVerifyAndFails()
    {
        using var work = new TempDirectory("tlogistry-rotation-");
        await using var upstream = await TagUpstream.StartAsync();
        var data = work.Combine("data");
        await PinAcrossRotationAsync(upstream, data, work.Combine("old.pub"), null);

        SightingStore.Delete(data);
        var newOnly = await CliProcess.RunAsync(null, "index", "rebuild", "--data-dir", data);
        Assert.Equal(1, newOnly.ExitCode);
        Assert.Contains("3 sightings added", newOnly.StandardError, StringComparison.Ordinal);
        Assert.Contains("2 entries were not restored", newOnly.StandardError, StringComparison.Ordinal);
        Assert.Contains("--trusted-key", newOnly.StandardError, StringComparison.Ordinal);
    }

    /// <summary>Two tags pinned with a first key, then the key rotated (the old one kept as trusted) and three more pinned; returns the old public key's file.</summary>
    private static async Task<string> PinAcrossRotationAsync(TagUpstream upstream, string data, string oldPub, LogServeProcess? log)
    {
        var settings = new Dictionary<string, string?>();
        if (log is not null)
        {
            settings["Tlogistry:Log"] = $"rekor-v1={log.BaseUri}";
            settings["Tlogistry:TrustedRoot"] = log.TrustedRootPath;
        }

        await using (var proxy = await ProxyHost.StartAsync(data, upstream.Mapping, settings, Ct))
        {
            await PullAsync(proxy, "a1", "a2");
        }

        var keyFile = Path.Combine(data, "signing-key.pem");
        using (var old = InstanceKey.LoadOrCreate(keyFile))
        {
            await File.WriteAllTextAsync(oldPub, old.PublicKeyPem + "\n", Ct);
        }

        File.Delete(keyFile);
        InstanceKey.LoadOrCreate(keyFile).Dispose();
        settings["Tlogistry:TrustedKeys:0"] = oldPub;
        await using (var proxy = await ProxyHost.StartAsync(data, upstream.Mapping, settings, Ct))
        {
            await PullAsync(proxy, "b1", "b2", "b3");
        }

        return oldPub;
    }

    private static async Task PullAsync(ProxyHost proxy, params string[] tags)
    {
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        foreach (var tag in tags)
        {
            using var response = await http.GetAsync($"/v2/scripted.test/app/manifests/{tag}", Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("true", response.Headers.GetValues("Tlog-First-Seen").Single());
        }
    }

    /// <summary>How many of the five tags the rebuilt store pins: served as known, not as first sightings.</summary>
    private static async Task<int> CountPinsAsync(string data, TagUpstream upstream, List<string> logFlags, string oldPub)
    {
        var settings = new Dictionary<string, string?> { ["Tlogistry:TrustedKeys:0"] = oldPub };
        for (var i = 0; i + 1 < logFlags.Count; i += 2)
        {
            settings[logFlags[i] == "--log" ? "Tlogistry:Log" : "Tlogistry:TrustedRoot"] = logFlags[i + 1];
        }

        await using var proxy = await ProxyHost.StartAsync(data, upstream.Mapping, settings, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        var pinned = 0;
        foreach (var tag in new[] { "a1", "a2", "b1", "b2", "b3" })
        {
            using var response = await http.GetAsync($"/v2/scripted.test/app/manifests/{tag}", Ct);
            if (response.StatusCode == HttpStatusCode.OK && !response.Headers.Contains("Tlog-First-Seen") && response.Headers.Contains("Tlog-Logindex"))
            {
                pinned++;
            }
        }

        return pinned;
    }
}
