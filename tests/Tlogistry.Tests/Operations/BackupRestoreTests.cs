using System.Net;

namespace Tlogistry.Tests.Operations;

/// <summary>
/// docs/OPERATIONS.md's backup, run as written (scripts/backup-data-dir.sh) against a service that
/// keeps appending while it runs, then restored into a fresh directory: every pin made before
/// the backup still holds.
/// </summary>
[Trait("Category", "E2E")]
public sealed class BackupRestoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(HttpStatusCode Status, string? Digest)> PullAsync(HttpClient http, string tag)
    {
        using var response = await http.GetAsync($"/v2/scripted.test/app/manifests/{tag}", Ct);
        return (response.StatusCode, response.Headers.TryGetValues("Docker-Content-Digest", out var d) ? d.Single() : null);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task ABackupTakenWhileFirstSightingsAreAppendedRestoresWithEveryEarlierPin(string store)
    {
        await using var upstream = await TagUpstream.StartAsync();
        using var work = new TempDirectory("tlogistry-backup-");
        await using var database = store == "postgres" ? await PostgresDatabase.CreateAsync(Ct) : null;
        var environment = database is null ? null : new Dictionary<string, string> { ["Tlogistry__Store"] = "postgres=" + database.ConnectionString };
        var data = work.Combine("data");
        var backup = work.Combine("backup");

        var pinned = new Dictionary<string, string>();
        Directory.CreateDirectory(data);
        Tlogistry.Signing.InstanceKey.LoadOrCreate(Path.Combine(data, "signing-key.pem")).Dispose();
        await using (var serving = await ServeProcess.StartAsync(data, upstream.Mapping, Ct, environment: environment))
        {
            using var http = new HttpClient { BaseAddress = serving.BaseUri };
            foreach (var tag in Enumerable.Range(0, 8).Select(i => $"before-{i}"))
            {
                var (status, digest) = await PullAsync(http, tag);
                Assert.Equal(HttpStatusCode.OK, status);
                pinned[tag] = digest!;
            }

            // First sightings keep landing in the log while the backup runs.
            using var stop = new CancellationTokenSource();
            var during = Task.Run(
                async () =>
                {
                    for (var i = 0; !stop.IsCancellationRequested; i++)
                    {
                        await PullAsync(http, $"during-{i}");
                        await Task.Delay(20, CancellationToken.None);
                    }
                },
                CancellationToken.None);
            string[] args = [RepositoryRoot.Combine("scripts", "backup-data-dir.sh"), data, backup, .. database is null ? Array.Empty<string>() : [PostgresUrl(database.ConnectionString)]];
            var result = await Tool.RunAsync("sh", args, TimeSpan.FromSeconds(120), cancellationToken: Ct);
            Assert.Contains("backed up", result.StandardOutput, StringComparison.Ordinal);
            await stop.CancelAsync();
            await during;
            Assert.Equal(0, await serving.StopAsync(Ct));
        }

        // Restore into a fresh directory (and, for PostgreSQL, a fresh database).
        var restored = work.Combine("restored");
        await Tool.RunAsync("cp", ["-pR", backup, restored], TimeSpan.FromSeconds(60), cancellationToken: Ct);
        await using var fresh = store == "postgres" ? await PostgresDatabase.CreateAsync(Ct) : null;
        if (fresh is not null)
        {
            File.Delete(Path.Combine(restored, "store.pgdump"));
            await Tool.RunAsync("pg_restore", ["--no-owner", "--dbname", PostgresUrl(fresh.ConnectionString), Path.Combine(backup, "store.pgdump")], TimeSpan.FromSeconds(60), cancellationToken: Ct);
        }

        var freshEnvironment = fresh is null ? null : new Dictionary<string, string> { ["Tlogistry__Store"] = "postgres=" + fresh.ConnectionString };
        foreach (var tag in pinned.Keys)
        {
            upstream.Move(tag);
        }

        await using var back = await ServeProcess.StartAsync(restored, upstream.Mapping, Ct, environment: freshEnvironment);
        using var client = new HttpClient { BaseAddress = back.BaseUri };
        foreach (var (tag, digest) in pinned)
        {
            // Upstream moved every tag: the restored pins refuse the new digest and still publish the old one.
            Assert.Equal(HttpStatusCode.Conflict, (await PullAsync(client, tag)).Status);
            var bundle = Tlogistry.Transparency.Sigstore.BundleJson.Read(await client.GetByteArrayAsync($"/tlog/bundle?image=scripted.test/app:{tag}", Ct));
            Assert.Equal(digest, Tlogistry.Ledger.SightingStatement.Decode(bundle.Envelope!.Payload).Digest.ToString());
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz", Ct)).StatusCode);
    }

    /// <summary>The Npgsql connection string as the libpq URL pg_dump and pg_restore take.</summary>
    private static string PostgresUrl(string connectionString)
    {
        var c = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        var host = c.Host!.StartsWith('/') ? $"?host={Uri.EscapeDataString(c.Host)}" : "";
        var authority = c.Host!.StartsWith('/') ? "" : $"{c.Host}:{c.Port}";
        var user = Uri.EscapeDataString(c.Username ?? "");
        var password = string.IsNullOrEmpty(c.Password) ? "" : ":" + Uri.EscapeDataString(c.Password);
        return $"postgresql://{user}{password}@{authority}/{Uri.EscapeDataString(c.Database ?? "")}{host}{(host.Length > 0 ? "&" : "?")}port={c.Port}";
    }

    [Fact]
    public async Task ALogCopyThatLosesAFileUnderItIsTakenAgain()
    {
        // A file renamed into place while cp walks the directory makes cp fail ("cannot stat"):
        // that is a write during the copy, and the copy is taken again, not the backup abandoned.
        using var work = new TempDirectory("tlogistry-backup-");
        var data = work.Combine("data");
        Directory.CreateDirectory(Path.Combine(data, "log"));
        await File.WriteAllTextAsync(Path.Combine(data, "log", "checkpoint"), "origin\n1\nroot\n", Ct);
        var bin = work.Combine("bin");
        Directory.CreateDirectory(bin);
        var marker = work.Combine("failed-once");
        var cp = Path.Combine(bin, "cp");
        await File.WriteAllTextAsync(cp, $"#!/bin/sh\nif [ \"$1\" = -pR ] && [ ! -e '{marker}' ]; then touch '{marker}'; echo \"cp: cannot stat 'checkpoint.tmp'\" >&2; exit 1; fi\nexec /bin/cp \"$@\"\n", Ct);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(cp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = await Tool.RunAsync(
            "sh",
            [RepositoryRoot.Combine("scripts", "backup-data-dir.sh"), data, work.Combine("backup")],
            TimeSpan.FromSeconds(60),
            environment: new Dictionary<string, string> { ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH") },
            cancellationToken: Ct);

        Assert.True(File.Exists(marker), "the first copy did not fail, so the test proves nothing");
        Assert.Contains("backed up", result.StandardOutput, StringComparison.Ordinal);
        Assert.Equal("origin\n1\nroot\n", await File.ReadAllTextAsync(work.Combine("backup", "log", "checkpoint"), Ct));
    }
}
