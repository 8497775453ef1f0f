using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tlogistry.Signing;
using Tlogistry.Tests.Client;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// Bundles from real runs checked by sigstore-js's stock <c>Verifier</c> with its default options
/// (tests/sigstore-js, installed by scripts/install-test-deps.sh) against the trusted root the
/// proxy publishes, and by tlogistry's own verifier; and hostile edits of them refused by both.
/// </summary>
[Trait("Category", "E2E")]
public sealed class SigstoreJsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Script => RepositoryRoot.Combine("tests", "sigstore-js", "verify.js");

    /// <summary>Runs the stock verifier: "verified", or "refused CODE: message".</summary>
    private static async Task<string> StockVerifyAsync(string root, JsonNode bundle, string? key)
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("bundle.json");
        await File.WriteAllTextAsync(file, bundle.ToJsonString(), Ct);
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[Script, root, file, .. key is null ? [] : new[] { key }])
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(Ct);
        var error = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.True(error.Length == 0, "sigstore-js failed to run: " + error);
        return output.Trim();
    }

    /// <summary>tlogistry's own verifier: null when the bundle verifies, else its reason.</summary>
    private static async Task<string?> OwnVerifyAsync(string root, JsonNode bundle, ClientFixture f)
    {
        var key = f.Proxy.Services.GetRequiredService<InstanceKey>().PublicKeyDer;
        try
        {
            new BundleVerifier(TrustedRoot.Parse(await File.ReadAllBytesAsync(root, Ct))).Verify(BundleJson.Read(System.Text.Encoding.UTF8.GetBytes(bundle.ToJsonString())), BundleSigner.Key(key), DateTimeOffset.UtcNow);
            return null;
        }
        catch (Exception e) when (e is LogVerificationException or FormatException)
        {
            return e.Message;
        }
    }

    private static void RequireNode()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':', StringSplitOptions.RemoveEmptyEntries);
        Assert.SkipUnless(path.Any(d => File.Exists(Path.Combine(d, "node"))), "node is not installed (scripts/install-test-deps.sh installs it and sigstore-js)");
        Assert.True(File.Exists(RepositoryRoot.Combine("tests", "sigstore-js", "node_modules", "@sigstore", "verify", "package.json")), "sigstore-js is not installed: run scripts/install-test-deps.sh");
    }

    private static async Task<JsonNode> BundleAsync(ClientFixture f, string tag) =>
        JsonNode.Parse(await f.Http.GetByteArrayAsync($"/tlog/bundle?image=scripted.test/app:{tag}", Ct))!;

    [Fact]
    public async Task EmbeddedLogBundlesPassStockVerificationAndTamperedOnesFailBothVerifiers()
    {
        RequireNode();
        await using var f = await ClientFixture.StartAsync(Ct);
        await f.PullAsync("a", Ct);
        await f.PullAsync("b", Ct);
        var bundle = await BundleAsync(f, "a");
        var entry = bundle["verificationMaterial"]!["tlogEntries"]![0]!;
        Assert.Equal("dsse", entry["kindVersion"]!["kind"]!.GetValue<string>());
        Assert.NotNull(entry["inclusionPromise"]);
        Assert.Equal("verified", await StockVerifyAsync(f.TrustedRoot, bundle, f.Key));
        Assert.Null(await OwnVerifyAsync(f.TrustedRoot, bundle, f));

        // A standard body with another envelope: b's, signed by the same key, under a's entry.
        var swapped = bundle.DeepClone();
        swapped["dsseEnvelope"] = (await BundleAsync(f, "b"))["dsseEnvelope"]!.DeepClone();
        Assert.StartsWith("refused TLOG_BODY_ERROR", await StockVerifyAsync(f.TrustedRoot, swapped, f.Key), StringComparison.Ordinal);
        Assert.Contains("body check failed", await OwnVerifyAsync(f.TrustedRoot, swapped, f), StringComparison.Ordinal);

        // A SET over other bytes: the integrated time it signed, moved by a second.
        var retimed = bundle.DeepClone();
        var time = long.Parse(retimed["verificationMaterial"]!["tlogEntries"]![0]!["integratedTime"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        retimed["verificationMaterial"]!["tlogEntries"]![0]!["integratedTime"] = (time + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.StartsWith("refused TLOG_INCLUSION_PROMISE_ERROR", await StockVerifyAsync(f.TrustedRoot, retimed, f.Key), StringComparison.Ordinal);
        Assert.Contains("signed entry timestamp check failed", await OwnVerifyAsync(f.TrustedRoot, retimed, f), StringComparison.Ordinal);

        // The checkpoint re-signed by the log's own key as another origin: not this log's checkpoint.
        var log = f.Proxy.Services.GetRequiredService<EmbeddedLog>();
        var seed = Ed25519NoteSigner.FromSkey((await File.ReadAllTextAsync(Path.Combine(f.Data.Path, "log", "log-key"), Ct)).Trim());
        var checkpoint = Checkpoint.Parse(SignedNote.Parse(log.LatestCheckpoint.Note).Text);
        var elsewhere = bundle.DeepClone();
        var proof = elsewhere["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!;
        var proofSize = long.Parse(proof["treeSize"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var original = Checkpoint.Parse(SignedNote.Parse(proof["checkpoint"]!["envelope"]!.GetValue<string>()).Text);
        var forged = new Ed25519NoteSigner("tlogistry.local/other", Ed25519SeedOf(seed));
        proof["checkpoint"]!["envelope"] = NoteOpener.Sign(new Checkpoint("tlogistry.local/other", proofSize, original.RootHash, []).Format(), forged);
        Assert.Equal(checkpoint.Origin, log.Origin);
        Assert.StartsWith("refused TLOG_INCLUSION_PROOF_ERROR", await StockVerifyAsync(f.TrustedRoot, elsewhere, f.Key), StringComparison.Ordinal);
        Assert.Contains("checkpoint check failed", await OwnVerifyAsync(f.TrustedRoot, elsewhere, f), StringComparison.Ordinal);

        // A trusted root whose baseUrl does not name the origin the checkpoints are signed as.
        var root = JsonNode.Parse(await File.ReadAllBytesAsync(f.TrustedRoot, Ct))!;
        foreach (var tlog in root["tlogs"]!.AsArray())
        {
            tlog!["baseUrl"] = f.Proxy.BaseUri.ToString().TrimEnd('/');
        }

        var unnamed = Path.Combine(f.Files.Path, "unnamed_root.json");
        await File.WriteAllTextAsync(unnamed, root.ToJsonString(), Ct);
        Assert.Equal("refused TLOG_INCLUSION_PROOF_ERROR: invalid checkpoint signature", await StockVerifyAsync(unnamed, bundle, f.Key));
    }

    private static byte[] Ed25519SeedOf(Ed25519NoteSigner signer)
    {
        // The skey ends "+keyid+base64(type || seed)" (base64 may itself hold '+').
        var skey = signer.Skey;
        var marker = "+" + NoteKeyId.ToHex(signer.KeyId) + "+";
        var data = Convert.FromBase64String(skey[(skey.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..]);
        return data[^32..];
    }

    [Theory]
    [InlineData("rekor-v1", false, "verified")]
    [InlineData("rekor-v2", true, "verified")]
    [InlineData("rekor-v2", false, "refused TIMESTAMP_ERROR: expected 1 timestamps, got 0")]
    public async Task LogServeBundlesThroughEitherApiMeetStockVerification(string mode, bool timestamped, string expected)
    {
        RequireNode();
        using var logDir = new TempDirectory();
        await using var log = await LogServeProcess.StartAsync(logDir.Path, Ct);
        var settings = new Dictionary<string, string?>
        {
            ["Tlogistry:Log"] = $"{mode}={log.BaseUri}",
            ["Tlogistry:TrustedRoot"] = log.TrustedRootPath,
        };
        if (timestamped)
        {
            settings["Tlogistry:TimestampAuthorities:0"] = new Uri(log.BaseUri, "api/v1/timestamp").ToString();
        }
        await using var f = await ClientFixture.StartAsync(Ct, settings);
        await f.PullAsync("a", Ct);
        var bundle = await BundleAsync(f, "a");

        // Rekor v2 entries carry no integrated time: sigstore-js asks for one signed time, which
        // only an RFC 3161 timestamp (here from log serve's own authority) can give.
        Assert.Equal(expected, await StockVerifyAsync(f.TrustedRoot, bundle, f.Key));
        Assert.Null(await OwnVerifyAsync(f.TrustedRoot, bundle, f));
    }
}
