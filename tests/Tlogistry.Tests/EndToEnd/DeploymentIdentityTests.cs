using Tlogistry.Tests.Support;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// Replicas on a shared store sign as one identity: a replica whose data directory lacks the
/// deployment's key refuses to start, saying which file and flags, instead of making a key of
/// its own whose pins the other replicas would refuse.
/// </summary>
[Trait("Category", "E2E")]
public sealed class DeploymentIdentityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_replica_on_a_shared_store_without_the_signing_key_refuses_to_start_and_makes_no_key()
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
}
