using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tlogistry.Client;
using Tlogistry.Client.Audit;
using Tlogistry.Ledger;
using Tlogistry.Signing;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Tests.Support.Doubles;
using Tlogistry.Transparency.Envelopes;

namespace Tlogistry.Tests.Client;

/// <summary><c>tlogistry audit</c> over a live proxy's embedded log, read over HTTP and from its files.</summary>
public sealed class AuditTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(int Exit, string Output, string Progress)> Audit(ClientFixture f, long from = 0, bool json = false, bool dataDir = false, int every = 1000)
    {
        var output = new StringWriter();
        var progress = new StringWriter();
        var request = new AuditRequest(from, f.Proxy.BaseUri, ProxyGiven: !dataDir, LogChoice.Parse("embedded"), dataDir ? f.Data.Path : null, json, TrustFlags.None, every);
        var exit = await LogMonitor.RunAsync(request, output, progress, Ct);
        return (exit, output.ToString(), progress.ToString());
    }

    /// <summary>Logs a sighting the proxy's store never hears of, as a second writer holding a key would.</summary>
    private static async Task AppendAsync(ClientFixture f, InstanceKey key, string reference, string digest)
    {
        var claim = new SightingClaim(Typed.Tag(reference), Typed.Digest(digest), TagUpstream.ManifestType, DateTimeOffset.UtcNow, "elsewhere", key.Identity);
        var log = new EmbeddedSightingLog(f.Proxy.Services.GetRequiredService<EmbeddedLog>(), TimeProvider.System);
        await log.AppendAsync(key.SignEnvelope(Dsse.InTotoPayloadType, SightingStatement.Encode(claim)), SignerMaterial.ForKey(key.PublicKeyDer), Ct);
    }

    [Fact]
    public async Task ACleanLogReportsNothingAndEntriesNoBundleExplainsAreReported()
    {
        await using var f = await ClientFixture.StartAsync(Ct);
        var a = await f.PullAsync("a", Ct);
        await f.PullAsync("b", Ct);

        var (clean, text, _) = await Audit(f);
        Assert.Equal(0, clean);
        Assert.Equal("audit: 2 entries read from log index 0, 2 of ours, 2 bundles published; nothing to report\n", text);
        Assert.Equal(0, (await Audit(f, dataDir: true)).Exit);

        // Our key logs c, then a second digest for a; a stranger's entry is not ours to report.
        var ours = f.Proxy.Services.GetRequiredService<InstanceKey>();
        var other = "sha256:" + new string('e', 64);
        await AppendAsync(f, ours, "scripted.test/app:c", "sha256:" + new string('c', 64));
        await AppendAsync(f, ours, "scripted.test/app:a", other);
        using (var stranger = InstanceKey.FromEcdsa(ECDsa.Create(ECCurve.NamedCurves.nistP256)))
        {
            await AppendAsync(f, stranger, "scripted.test/app:d", other);
        }

        var (exit, report, progress) = await Audit(f, every: 2);
        Assert.Equal(1, exit);
        Assert.Contains($"conflict: scripted.test/app:a was recorded with 2 digests: {a} (log index 0), {other} (log index 3)\n", report, StringComparison.Ordinal);
        Assert.Contains("unexplained: log index 2 (uuid ", report, StringComparison.Ordinal);
        Assert.Contains("is a sighting of scripted.test/app:c as sha256:cccc", report, StringComparison.Ordinal);
        Assert.Contains("unexplained: log index 3 (uuid ", report, StringComparison.Ordinal);
        Assert.DoesNotContain("log index 4", report, StringComparison.Ordinal);
        Assert.EndsWith("audit: 5 entries read from log index 0, 4 of ours, 2 bundles published; 3 findings\n", report, StringComparison.Ordinal);
        Assert.Equal(["audit: 2 entries read (log index 1), 2 of ours", "audit: 4 entries read (log index 3), 4 of ours"], progress.TrimEnd('\n').Split('\n'));

        // The same from the data directory's files and store (read-only beside the running proxy), as JSON.
        var (fromFiles, json, _) = await Audit(f, json: true, dataDir: true);
        Assert.Equal(1, fromFiles);
        var root = JsonDocument.Parse(json).RootElement;
        Assert.False(root.GetProperty("clean").GetBoolean());
        Assert.Equal((5, 4, 2), (root.GetProperty("entriesRead").GetInt64(), root.GetProperty("ours").GetInt32(), root.GetProperty("published").GetInt32()));
        var conflict = Assert.Single(root.GetProperty("conflicts").EnumerateArray());
        Assert.Equal("scripted.test/app:a", conflict.GetProperty("reference").GetString());
        Assert.Equal([a, other], conflict.GetProperty("sightings").EnumerateArray().Select(s => s.GetProperty("digest").GetString()));
        Assert.Equal([2L, 3L], root.GetProperty("unexplained").EnumerateArray().Select(u => u.GetProperty("logIndex").GetInt64()));
        Assert.Equal("scripted.test/app:c", root.GetProperty("unexplained")[0].GetProperty("reference").GetString());
        Assert.Empty(root.GetProperty("badBundles").EnumerateArray());

        // From index 3 on, only the later entry is read; the published pin of a still conflicts with it.
        var (_, later, _) = await Audit(f, from: 3);
        Assert.DoesNotContain("log index 2 (uuid", later, StringComparison.Ordinal);
        Assert.Contains("unexplained: log index 3", later, StringComparison.Ordinal);
        Assert.Contains("conflict: scripted.test/app:a", later, StringComparison.Ordinal);
        Assert.Contains("2 entries read from log index 3, 1 of ours", later, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASightingRecordedWhileTheExportIsReadIsNotTakenForALogThatWentBack()
    {
        await using var f = await ClientFixture.StartAsync(Ct);
        await f.PullAsync("a", Ct);
        await f.PullAsync("b", Ct);

        // In front of the proxy: the export one bundle a page, and a new first sighting recorded
        // before its second page, so the last page holds a bundle of a larger tree than the
        // checkpoint the audit read at its first page.
        using var http = new HttpClient();
        var recorded = 0;
        var (front, frontUri) = await LoopbackApp.StartAsync(async context =>
        {
            var target = context.Request.Path + context.Request.QueryString;
            if (context.Request.Path == Tlogistry.Registry.Tlog.BundleApi.ExportPath && !context.Request.Query.ContainsKey("image"))
            {
                if (!context.Request.Query.ContainsKey("limit"))
                {
                    target = Tlogistry.Registry.Tlog.BundleApi.ExportPath + "?limit=1";
                }
                else if (context.Request.Query.ContainsKey("after") && Interlocked.Exchange(ref recorded, 1) == 0)
                {
                    await f.PullAsync("c", CancellationToken.None);
                }
            }

            using var answer = await http.GetAsync(new Uri(f.Proxy.BaseUri, target.ToString().TrimStart('/')), context.RequestAborted);
            context.Response.StatusCode = (int)answer.StatusCode;
            context.Response.ContentType = answer.Content.Headers.ContentType?.ToString();
            if (answer.Headers.TryGetValues("Link", out var link))
            {
                context.Response.Headers.Link = link.Single();
            }

            await answer.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        });
        try
        {
            var output = new StringWriter();
            var request = new AuditRequest(0, frontUri, ProxyGiven: true, LogChoice.Parse("embedded"), null, false, TrustFlags.None, 1000);
            var exit = await LogMonitor.RunAsync(request, output, new StringWriter(), Ct);
            Assert.Equal(1, recorded);
            Assert.True(exit == 0, output.ToString());
            Assert.Equal("audit: 3 entries read from log index 0, 3 of ours, 3 bundles published; nothing to report\n", output.ToString());
        }
        finally
        {
            await LoopbackApp.StopAsync(front);
        }
    }

    [Fact]
    public async Task TheCommandLineReportsJsonAndExits1OnFindings()
    {
        await using var f = await ClientFixture.StartAsync(Ct);
        await f.PullAsync("a", Ct);
        await AppendAsync(f, f.Proxy.Services.GetRequiredService<InstanceKey>(), "scripted.test/app:z", "sha256:" + new string('f', 64));

        var run = await CliProcess.RunAsync(null, "audit", "--proxy", f.Proxy.BaseUri.ToString(), "--json", "--trusted-root", f.TrustedRoot, "--key", f.Key);
        Assert.Equal(1, run.ExitCode);
        var unexplained = Assert.Single(JsonDocument.Parse(run.StandardOutput).RootElement.GetProperty("unexplained").EnumerateArray());
        Assert.Equal("scripted.test/app:z", unexplained.GetProperty("reference").GetString());

        var bad = await CliProcess.RunAsync(null, "audit", "--proxy", f.Proxy.BaseUri.ToString(), "--log", "rekor-v3=http://x");
        Assert.Equal(1, bad.ExitCode);
        Assert.StartsWith("tlogistry audit: --log must be embedded, rekor-v1=URL or rekor-v2=URL", bad.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEntryLeftByAStoppedFirstSightingIsExplainedByItsPublishedIntent()
    {
        await using var f = await ClientFixture.StartAsync(Ct);
        await f.PullAsync("a", Ct);

        // What a process killed after its append and before its store write leaves: an intent and an entry, no pin.
        var key = f.Proxy.Services.GetRequiredService<InstanceKey>();
        var claim = new SightingClaim(Typed.Tag("scripted.test/app:c"), Typed.Digest("sha256:" + new string('c', 64)), TagUpstream.ManifestType, DateTimeOffset.UtcNow, "elsewhere", key.Identity);
        var envelope = key.SignEnvelope(Dsse.InTotoPayloadType, SightingStatement.Encode(claim));
        var signer = SignerMaterial.ForKey(key.PublicKeyDer);
        await f.Proxy.Services.GetRequiredService<Tlogistry.Store.ISightingIndex>().SaveIntentAsync(new Tlogistry.Store.AppendIntent(claim.Reference, envelope, signer), Ct);
        await new EmbeddedSightingLog(f.Proxy.Services.GetRequiredService<EmbeddedLog>(), TimeProvider.System).AppendAsync(envelope, signer, Ct);

        // Published beside the bundles, a page at a time: the pull's own intent, then this one.
        using (var page = await f.Http.GetAsync(new Uri(f.Proxy.BaseUri, "/tlog/intents?limit=1"), Ct))
        {
            Assert.Equal("</tlog/intents?after=1&limit=1>; rel=\"next\"", page.Headers.GetValues("Link").Single());
            Assert.Equal("scripted.test/app:a", Tlogistry.Store.AppendIntent.Parse(await page.Content.ReadAsByteArrayAsync(Ct)).Reference.Canonical);
        }

        foreach (var fromFiles in new[] { false, true })
        {
            var (exit, text, _) = await Audit(f, dataDir: fromFiles);
            Assert.True(exit == 0, text);
            Assert.Contains("explained by intent: log index 1 is a sighting of scripted.test/app:c as sha256:cccc", text, StringComparison.Ordinal);
            Assert.EndsWith("2 of ours, 1 bundles published; nothing to report\n", text, StringComparison.Ordinal);
        }

        // Another entry of ours that no intent sent stays a finding.
        await AppendAsync(f, key, "scripted.test/app:c", "sha256:" + new string('c', 64));
        var (found, report, _) = await Audit(f);
        Assert.Equal(1, found);
        Assert.Contains("unexplained: log index 2 (uuid ", report, StringComparison.Ordinal);
    }
}
