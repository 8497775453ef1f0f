using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Client;
using Tlogistry.Client.Audit;
using Tlogistry.Client.History;
using Tlogistry.Client.Verify;
using Tlogistry.Http;
using Tlogistry.Signing;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Rekor;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.Client;

/// <summary>The client commands against proxies that log to <c>tlogistry log serve</c>, a separate process, in v2 and v1 mode.</summary>
[Trait("Category", "E2E")]
public sealed class LogServeClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> Settings(string mode, LogServeProcess log) => new()
    {
        ["Tlogistry:Log"] = $"{mode}={log.BaseUri}",
        ["Tlogistry:TrustedRoot"] = log.TrustedRootPath,
    };

    private static Task<string> Verify(ClientFixture f, string state, string image) =>
        TagVerification.RunAsync(new VerifyRequest(image, null, null, f.Proxy.BaseUri, new TrustFlags(f.TrustedRoot, [f.Key], null, null), null, state), Ct);

    private static async Task<(int Exit, string Output)> Audit(ClientFixture f, string log)
    {
        var output = new StringWriter();
        var exit = await LogMonitor.RunAsync(new AuditRequest(0, f.Proxy.BaseUri, true, LogChoice.Parse(log), null, false, TrustFlags.None, 1000), output, TextWriter.Null, Ct);
        return (exit, output.ToString());
    }

    [Fact]
    public async Task VerifyHistoryAndAuditReadATilesLogAndARekorV1Log()
    {
        using var logDir = new TempDirectory();
        using var state = new TempDirectory();
        await using var log = await LogServeProcess.StartAsync(logDir.Path, Ct);
        await using var v2 = await ClientFixture.StartAsync(Ct, Settings("rekor-v2", log));
        await using var v1 = await ClientFixture.StartAsync(Ct, Settings("rekor-v1", log));
        await v2.PullAsync("a", Ct);
        await v1.PullAsync("a", Ct);

        // v2: checkpoint and consistency proof from the tiles; v1: from /api/v1/log and /api/v1/log/proof.
        // Both views are one tree, so they share one cached checkpoint.
        var first = await Verify(v2, state.Path, "scripted.test/app:a");
        Assert.Contains("log index 0 of ", first, StringComparison.Ordinal);
        Assert.Contains("tree size 2 (first checkpoint of this log, cached)", first, StringComparison.Ordinal);
        await v1.PullAsync("b", Ct);
        Assert.Contains("tree size 3 (consistent with size 2 seen before)", await Verify(v1, state.Path, "scripted.test/app:a"), StringComparison.Ordinal);
        Assert.Contains("tree size 3 (consistent with size 3 seen before)", await Verify(v2, state.Path, "scripted.test/app:a"), StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.Combine(state.Path, "checkpoints")));

        // Rekor v2 states no integrated time.
        var history = new StringWriter();
        Assert.Equal(0, await ImageHistory.RunAsync(new HistoryRequest("scripted.test/app", v2.Proxy.BaseUri, null, false, TrustFlags.None), history, TextWriter.Null, Ct));
        Assert.Matches(@"\na +sha256:[0-9a-f]{64} +0 +none +verified\n", history.ToString());

        // Both monitors are clean; then the v2 proxy's key logs a hash that no published bundle explains.
        Assert.Equal(0, (await Audit(v2, $"rekor-v2={log.BaseUri}")).Exit);
        Assert.Equal(0, (await Audit(v1, $"rekor-v1={log.BaseUri}")).Exit);
        var key = v2.Proxy.Services.GetRequiredService<InstanceKey>();
        using (var http = JsonHttp.CreateClient())
        {
            var root = TrustedRoot.Parse(await File.ReadAllBytesAsync(log.TrustedRootPath, Ct));
            var rekor = new RekorV2Log(log.BaseUri, LogChoice.Parse($"rekor-v2={log.BaseUri}").FindLogId(root), http, JsonHttpOptions.ForRekor(), NullLogger<RekorV2Log>.Instance);
            await rekor.AppendAsync(key.SignEnvelope(Dsse.InTotoPayloadType, "{\"unexplained\":true}"u8.ToArray()), SignerMaterial.ForKey(key.PublicKeyDer), Ct);
        }

        var (exit, report) = await Audit(v2, $"rekor-v2={log.BaseUri}");
        Assert.Equal(1, exit);
        Assert.Contains("unexplained: log index 3 (uuid ", report, StringComparison.Ordinal);
        Assert.Contains("is a hashedrekord 0.0.2 entry signed by our key, and no published bundle holds it", report, StringComparison.Ordinal);
        Assert.Contains("4 entries read from log index 0, 2 of ours, 1 bundles published; 1 findings", report, StringComparison.Ordinal);
    }
}
