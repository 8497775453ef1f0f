using System.Net;
using Tlogistry.Signing;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// The two-phase key rotation docs/OPERATIONS.md gives, done on two <c>tlogistry serve</c> replicas
/// sharing one PostgreSQL store and one <c>tlogistry log serve</c>, restarting one replica at a
/// time: phase 1 makes every replica trust the new key while all still sign with the old;
/// phase 2 switches each to signing with the new key, the old one kept as trusted. At every
/// step both replicas serve every tag pinned so far (200, the pinned digest), and the replica
/// not being restarted stays ready.
/// </summary>
[Trait("Category", "E2E")]
public sealed class ReplicaRotationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ATwoPhaseRotationAcrossReplicasNeverRefusesAPinNorLosesReadiness()
    {
        using var work = new TempDirectory("tlogistry-rotate-");
        await using var database = await PostgresDatabase.CreateAsync(Ct);
        await using var log = await LogServeProcess.StartAsync(work.Combine("log"), Ct);
        await using var upstream = await TagUpstream.StartAsync();
        string[] shared = ["--store", "postgres=" + database.ConnectionString, "--log", $"rekor-v2={log.BaseUri}", "--trusted-root", log.TrustedRootPath];

        // The old key in both data directories; the new key made aside, as an operator would.
        var dirs = new[] { work.Combine("replica-0"), work.Combine("replica-1") };
        var oldPub = work.Combine("old.pub");
        var newPub = work.Combine("new.pub");
        var newKey = work.Combine("new-signing-key.pem");
        using (var old = InstanceKey.LoadOrCreate(Path.Combine(dirs[0], "signing-key.pem")))
        {
            await File.WriteAllTextAsync(oldPub, old.PublicKeyPem + "\n", Ct);
        }

        Directory.CreateDirectory(dirs[1]);
        File.Copy(Path.Combine(dirs[0], "signing-key.pem"), Path.Combine(dirs[1], "signing-key.pem"));
        using (var created = InstanceKey.LoadOrCreate(newKey))
        {
            await File.WriteAllTextAsync(newPub, created.PublicKeyPem + "\n", Ct);
        }

        var replicas = new ServeProcess?[2];
        var pinned = new List<string>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        try
        {
            for (var i = 0; i < 2; i++)
            {
                replicas[i] = await ServeProcess.StartAsync(dirs[i], upstream.Mapping, Ct, shared);
            }

            await PinAndCheckAsync(http, replicas, 0, "before", pinned);

            // Phase 1: each replica in turn trusts the new key, still signing with the old.
            for (var i = 0; i < 2; i++)
            {
                replicas[i] = await RestartAsync(http, replicas, i, dirs[i], upstream, [.. shared, "--trusted-key", newPub]);
                await PinAndCheckAsync(http, replicas, i, $"phase1-{i}", pinned);
            }

            // Phase 2: each replica in turn signs with the new key and keeps trusting the old.
            for (var i = 0; i < 2; i++)
            {
                var dir = dirs[i];
                replicas[i] = await RestartAsync(http, replicas, i, dir, upstream, [.. shared, "--trusted-key", oldPub], () => File.Copy(newKey, Path.Combine(dir, "signing-key.pem"), overwrite: true));
                await PinAndCheckAsync(http, replicas, i, $"phase2-{i}", pinned);
            }

            Assert.Equal(5, pinned.Count);
            Assert.Equal(5L, await database.ScalarAsync<long>("SELECT count(*) FROM tlogistry_sightings"));
        }
        finally
        {
            foreach (var replica in replicas)
            {
                if (replica is not null)
                {
                    await replica.DisposeAsync();
                }
            }
        }
    }

    /// <summary>Stops replica <paramref name="index"/>, checks the other stays ready meanwhile, changes what <paramref name="between"/> changes, and starts it with <paramref name="flags"/>.</summary>
    private static async Task<ServeProcess> RestartAsync(HttpClient http, ServeProcess?[] replicas, int index, string dir, TagUpstream upstream, string[] flags, Action? between = null)
    {
        Assert.Equal(0, await replicas[index]!.StopAsync(Ct));
        await replicas[index]!.DisposeAsync();
        replicas[index] = null;
        await AssertReadyAsync(http, replicas[1 - index]!);
        between?.Invoke();
        var started = await ServeProcess.StartAsync(dir, upstream.Mapping, Ct, flags);
        await AssertReadyAsync(http, started);
        return started;
    }

    /// <summary>Pins <paramref name="tag"/> through replica <paramref name="via"/>, then asks both replicas for every tag pinned so far.</summary>
    private static async Task PinAndCheckAsync(HttpClient http, ServeProcess?[] replicas, int via, string tag, List<string> pinned)
    {
        var (status, digest, firstSeen) = await GetAsync(http, replicas[via]!, tag);
        Assert.Equal((HttpStatusCode.OK, TagUpstream.DigestOf(tag, moved: false), true), (status, digest, firstSeen));
        pinned.Add(tag);
        foreach (var replica in replicas)
        {
            await AssertReadyAsync(http, replica!);
            foreach (var earlier in pinned)
            {
                var answer = await GetAsync(http, replica!, earlier);
                Assert.Equal((earlier, HttpStatusCode.OK, TagUpstream.DigestOf(earlier, moved: false), false), (earlier, answer.Status, answer.Digest, answer.FirstSeen));
            }
        }
    }

    private static async Task<(HttpStatusCode Status, string? Digest, bool FirstSeen)> GetAsync(HttpClient http, ServeProcess replica, string tag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(replica.BaseUri, $"/v2/scripted.test/app/manifests/{tag}"));
        request.Headers.Accept.ParseAdd(TagUpstream.ManifestType);
        using var response = await http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{replica.BaseUri} {tag}: {(int)response.StatusCode} {body}");
        return (response.StatusCode, response.Headers.TryGetValues("Docker-Content-Digest", out var d) ? d.Single() : null, response.Headers.Contains("Tlog-First-Seen"));
    }

    private static async Task AssertReadyAsync(HttpClient http, ServeProcess replica)
    {
        using var response = await http.GetAsync(new Uri(replica.BaseUri, "/readyz"), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
