using System.Net;
using Microsoft.Data.Sqlite;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// Someone who can write the data directory (an operator's slip, a partial compromise) edits
/// the store or the log behind the proxy's back: the log still decides, and a log that went
/// back stops the start until the operator accepts it.
/// </summary>
public sealed class LocalStateTests
{
    private const string Tag = "/v2/scripted.test/app/manifests/v1";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ADeletedIndexRowDoesNotLetAMovedTagBePinnedAnew()
    {
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        var original = TagUpstream.DigestOf("v1", moved: false);
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, null, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using var first = await http.GetAsync(Tag, Ct);
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal("true", Header(first, "Tlog-First-Seen"));
        }

        var reference = (string)Sql(data.Path, "SELECT reference FROM sightings")!;
        Sql(data.Path, $"DELETE FROM sightings WHERE reference = '{reference}'");
        Assert.Equal(0L, Sql(data.Path, "SELECT count(*) FROM sightings"));
        upstream.Move("v1");

        for (var start = 0; start < 2; start++)
        {
            await using var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, null, Ct);
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using var moved = await http.GetAsync(Tag, Ct);
            var body = await moved.Content.ReadAsStringAsync(Ct);
            Assert.Equal(HttpStatusCode.Conflict, moved.StatusCode);
            Assert.Contains("DENIED", body, StringComparison.Ordinal);
            Assert.Contains(original, body, StringComparison.Ordinal);
            Assert.Null(Header(moved, "Tlog-First-Seen"));
            using var ready = await http.GetAsync("/readyz", Ct);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        // The row is back, for the original digest, and the log holds the one sighting.
        Assert.Equal(original, Sql(data.Path, $"SELECT digest FROM sightings WHERE reference = '{reference}'"));
        Assert.Equal(1, LogAudit.VerifyAll(data.Path));
    }

    [Fact]
    public async Task ADeletedEnvelopeRecordWithItsRowAndIntentStopsTheStartInsteadOfPinningAMovedTag()
    {
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, null, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using var first = await http.GetAsync(Tag, Ct);
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        // Everything that names the pin outside the Merkle tree goes: the store row, any intent, the leaf's envelope record.
        Sql(data.Path, "DELETE FROM sightings");
        Sql(data.Path, "DELETE FROM append_intents");
        var record = Assert.Single(Directory.GetFiles(Path.Combine(data.Path, "log", "envelopes"), "*.json"));
        File.Delete(record);
        upstream.Move("v1");

        var (exit, stderr) = await ServeProcess.RunRefusedAsync(data.Path, upstream.Mapping, Ct);
        Assert.NotEqual(0, exit);
        Assert.Contains("leaf 0", stderr, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(record), stderr, StringComparison.Ordinal);
        Assert.Equal(0L, Sql(data.Path, "SELECT count(*) FROM sightings"));
    }

    [Fact]
    public async Task ADeletedLogStopsTheStartUntilTheOperatorAcceptsItAndForgetsItsPins()
    {
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, null, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using var first = await http.GetAsync(Tag, Ct);
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        // The service stamps the pin it verified, so its next start need not verify it again.
        Assert.Equal(1L, Sql(data.Path, "SELECT count(*) FROM sightings WHERE length(stamp) > 0"));

        // The checkpoint and tiles go; the log key and index.db stay.
        SqliteConnection.ClearAllPools();
        File.Delete(Path.Combine(data.Path, "log", "checkpoint"));
        Directory.Delete(Path.Combine(data.Path, "log", "tile"), recursive: true);

        var (exit, stderr) = await ServeProcess.RunRefusedAsync(data.Path, upstream.Mapping, Ct);
        Assert.Equal(1, exit);
        Assert.Contains("remembers (size 1", stderr, StringComparison.Ordinal);
        Assert.Contains("now at size 0", stderr, StringComparison.Ordinal);
        Assert.Contains("tlogistry index accept-log", stderr, StringComparison.Ordinal);

        // Without --i-understand the command only says what it would forget.
        var (dry, _, listed) = await CliProcess.RunAsync(null, "index", "accept-log", "--data-dir", data.Path);
        Assert.Equal(1, dry);
        Assert.Contains("will forget scripted.test/app:v1", listed, StringComparison.Ordinal);
        Assert.Contains("nothing changed", listed, StringComparison.Ordinal);
        Assert.Equal(1L, Sql(data.Path, "SELECT count(*) FROM sightings"));

        var (accepted, _, done) = await CliProcess.RunAsync(null, "index", "accept-log", "--data-dir", data.Path, "--i-understand");
        Assert.Equal(0, accepted);
        Assert.Contains("1 sightings forgotten", done, StringComparison.Ordinal);
        Assert.Equal(0L, Sql(data.Path, "SELECT count(*) FROM sightings"));

        // The documented consequence: the forgotten tag is pinned anew, at the new log's index 0.
        upstream.Move("v1");
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, null, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using var again = await http.GetAsync(Tag, Ct);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Equal("true", Header(again, "Tlog-First-Seen"));
            Assert.Equal(TagUpstream.DigestOf("v1", moved: true), Header(again, "Docker-Content-Digest"));
        }

        Assert.Equal(1, LogAudit.VerifyAll(data.Path));
    }

    [Fact]
    public async Task AStoreEmptiedBesideAFullLogIsFilledAgainAtStart()
    {
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        await PullThroughAsync(data.Path, upstream, Tag, "/v2/scripted.test/app/manifests/v2");

        Sql(data.Path, "DELETE FROM sightings");
        upstream.Move("v1");
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, null, Ct))
        {
            Assert.Equal(2L, Sql(data.Path, "SELECT count(*) FROM sightings"));
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using var moved = await http.GetAsync(Tag, Ct);
            Assert.Equal(HttpStatusCode.Conflict, moved.StatusCode);
        }
    }

    [Fact]
    public async Task AnAuditOfAStoreHoldingOneBundleTwiceFindsBothInTheLog()
    {
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        await PullThroughAsync(data.Path, upstream, Tag);

        // A second row holding the same bundle: the store publishes that log entry twice.
        Sql(data.Path, """
            INSERT INTO sightings (reference, digest, media_type, observed_at, upstream, identity, log_id, log_index, bundle)
            SELECT 'scripted.test/app:copy', digest, media_type, observed_at, upstream, identity, 'ff', log_index, bundle FROM sightings
            """);
        var (clean, output, _) = await CliProcess.RunAsync(null, "audit", "--data-dir", data.Path);
        Assert.True(clean == 0, output);
        Assert.Contains("2 bundles published; nothing to report", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAuditOfALogPutBackToAnOlderCopyReportsThePublishedBundleItNoLongerHolds()
    {
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        using var older = new TempDirectory();
        await PullThroughAsync(data.Path, upstream, Tag);

        CopyDirectory(Path.Combine(data.Path, "log"), older.Path);
        await PullThroughAsync(data.Path, upstream, "/v2/scripted.test/app/manifests/v2");

        // The log goes back to its copy from before v2; the store still publishes v2's bundle,
        // whose evidence verifies on its own: only the comparison with the log can tell.
        Directory.Delete(Path.Combine(data.Path, "log"), recursive: true);
        CopyDirectory(older.Path, Path.Combine(data.Path, "log"));
        var (exit, report, _) = await CliProcess.RunAsync(null, "audit", "--data-dir", data.Path);
        Assert.True(exit == 1, report);
        Assert.Contains("not in log: log index 1", report, StringComparison.Ordinal);
        Assert.Contains("1 entries read from log index 0, 1 of ours, 2 bundles published", report, StringComparison.Ordinal);
    }

    /// <summary>A proxy started on the data directory answers each path 200, then stops.</summary>
    private static async Task PullThroughAsync(string dataDir, TagUpstream upstream, params string[] paths)
    {
        await using var proxy = await ProxyHost.StartAsync(dataDir, upstream.Mapping, null, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        foreach (var path in paths)
        {
            using var answer = await http.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)), overwrite: true);
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : null;

    private static object? Sql(string dataDir, string sql)
    {
        SqliteConnection.ClearAllPools();
        using var c = new SqliteConnection($"Data Source={Path.Combine(dataDir, "index.db")};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }
}
