using System.Net;
using Tlogistry.Signing;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// Replicas on a shared store sign as one identity: a replica whose data directory lacks the
/// deployment's key refuses to start, saying which file and flags, instead of making a key of
/// its own whose pins the other replicas would refuse; one that does not trust the key of pins
/// the store holds says so at start.
/// </summary>
[Trait("Category", "E2E")]
public sealed class DeploymentIdentityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AReplicaOnASharedStoreWithoutTheSigningKeyRefusesToStartAndMakesNoKey()
    {
        using var work = new TempDirectory("tlogistry-identity-");
        await using var database = await PostgresDatabase.CreateAsync(Ct);
        await using var log = await LogServeProcess.StartAsync(work.Combine("log"), Ct);
        var dataDir = work.Combine("replica");
        Directory.CreateDirectory(dataDir);

        var (exit, stderr) = await ServeProcess.RunRefusedAsync(
            dataDir,
            [],
            Ct,
            ["--store", "postgres=" + database.ConnectionString, "--log", $"rekor-v2={log.BaseUri}", "--trusted-root", log.TrustedRootPath]);

        Assert.Equal(1, exit);
        Assert.Contains("signing-key.pem", stderr, StringComparison.Ordinal);
        Assert.Contains("--signer", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dataDir, "signing-key.pem")));

        // Refused before the store was touched: no schema was applied to it.
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'tlogistry%'"));
    }

    [Fact]
    public async Task AReplicaThatDoesNotTrustTheKeyOfStoredPinsWarnsAtStartNamingIt()
    {
        using var work = new TempDirectory("tlogistry-identity-");
        await using var database = await PostgresDatabase.CreateAsync(Ct);
        await using var log = await LogServeProcess.StartAsync(work.Combine("log"), Ct);
        await using var upstream = await TagUpstream.StartAsync();
        string[] shared = ["--store", "postgres=" + database.ConnectionString, "--log", $"rekor-v2={log.BaseUri}", "--trusted-root", log.TrustedRootPath];
        var first = work.Combine("first");
        var other = work.Combine("other");
        string firstIdentity;
        using (var key = InstanceKey.LoadOrCreate(Path.Combine(first, "signing-key.pem")))
        {
            firstIdentity = key.Identity;
            await File.WriteAllTextAsync(work.Combine("first.pub"), key.PublicKeyPem + "\n", Ct);
        }

        InstanceKey.LoadOrCreate(Path.Combine(other, "signing-key.pem")).Dispose();
        await using (var replica = await ServeProcess.StartAsync(first, upstream.Mapping, Ct, shared))
        {
            using var http = new HttpClient();
            foreach (var tag in new[] { "a", "b" })
            {
                using var pinned = await http.GetAsync(new Uri(replica.BaseUri, $"/v2/scripted.test/app/manifests/{tag}"), Ct);
                Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
            }

            Assert.DoesNotContain("which this replica does not trust", replica.StandardOutput, StringComparison.Ordinal);
        }

        await using (var stranger = await ServeProcess.StartAsync(other, upstream.Mapping, Ct, shared))
        {
            Assert.Contains($"2 of the 2 oldest pins in the store are signed by {firstIdentity}, which this replica does not trust", stranger.StandardOutput, StringComparison.Ordinal);
        }

        await using (var trusting = await ServeProcess.StartAsync(other, upstream.Mapping, Ct, [.. shared, "--trusted-key", work.Combine("first.pub")]))
        {
            Assert.DoesNotContain("which this replica does not trust", trusting.StandardOutput, StringComparison.Ordinal);
        }
    }
}
