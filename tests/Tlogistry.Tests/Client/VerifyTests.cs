using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tlogistry.Client;
using Tlogistry.Client.Verify;
using Tlogistry.Ledger;
using Tlogistry.Signing;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Embedded;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Notes;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;
using Tlogistry.Transparency.Witness;

namespace Tlogistry.Tests.Client;

/// <summary><c>tlogistry verify</c> against a live proxy and its embedded log, trusting only the files a user pinned.</summary>
public sealed class VerifyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static VerifyRequest Request(ClientFixture f, string image, string? digest = null, string? bundle = null, Uri? logUrl = null, string? state = null, TrustFlags? trust = null) =>
        new(image, digest, bundle, f.Proxy.BaseUri, trust ?? new TrustFlags(f.TrustedRoot, [f.Key], null, null), logUrl, state ?? f.StateDir);

    private static Task<string> Verify(VerifyRequest request) => TagVerification.RunAsync(request, Ct);

    private static async Task<string> Fails(VerifyRequest request) => (await Assert.ThrowsAsync<ClientException>(() => Verify(request))).Message;

    [Fact]
    public async Task APulledTagVerifiesFromTheProxyAndFromAFileAndTheLogCheckpointIsKept()
    {
        await using var f = await ClientFixture.StartAsync(Ct);
        var digest = await f.PullAsync("a", Ct);

        var first = await Verify(Request(f, "scripted.test/app:a", digest));
        Assert.StartsWith($"verified scripted.test/app:a {digest}: log index 0 of tlogistry.local/", first, StringComparison.Ordinal);
        Assert.Contains("tree size 1 (first checkpoint of this log, cached)", first, StringComparison.Ordinal);
        var origin = f.Proxy.Services.GetRequiredService<EmbeddedLog>().Origin;
        var cached = Path.Combine(f.StateDir, "checkpoints", LogIdentity.Of(f.Proxy.Services.GetRequiredService<EmbeddedLog>().Trusted));
        Assert.StartsWith(origin + "\n1\n", await File.ReadAllTextAsync(cached, Ct), StringComparison.Ordinal);

        // The log grows; the same bundle, now from a file, is checked against the grown log and
        // the cached checkpoint is proven a prefix of it, then replaced.
        await f.PullAsync("b", Ct);
        await f.PullAsync("c", Ct);
        var file = f.Files.Combine("a.json");
        await File.WriteAllBytesAsync(file, await f.Http.GetByteArrayAsync("/tlog/bundle?image=scripted.test/app:a", Ct), Ct);
        var again = await Verify(Request(f, "scripted.test/app:a", bundle: file));
        Assert.Contains("tree size 3 (consistent with size 1 seen before)", again, StringComparison.Ordinal);
        Assert.StartsWith(origin + "\n3\n", await File.ReadAllTextAsync(cached, Ct), StringComparison.Ordinal);

        // Nothing new: the cache is reused as it is.
        Assert.Contains("tree size 3 (consistent with size 3 seen before)", await Verify(Request(f, "scripted.test/app:a")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EachBrokenPromiseFailsWithItsReason()
    {
        await using var f = await ClientFixture.StartAsync(Ct);
        var a = await f.PullAsync("a", Ct);
        await f.PullAsync("b", Ct);
        var bundleB = JsonNode.Parse(await f.Http.GetByteArrayAsync("/tlog/bundle?image=scripted.test/app:b", Ct))!;
        var fileB = await SaveAsync(f, "b.json", bundleB);

        Assert.Contains("digest mismatch: scripted.test/app:a was first seen as " + a, await Fails(Request(f, "scripted.test/app:a", "sha256:" + new string('0', 64))), StringComparison.Ordinal);
        Assert.Contains("a sighting of scripted.test/app:b, not of scripted.test/app:a", await Fails(Request(f, "scripted.test/app:a", bundle: fileB)), StringComparison.Ordinal);

        // One byte flipped in the inclusion proof, or in the checkpoint's signature.
        var proof = bundleB["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!;
        var flipped = JsonNode.Parse(bundleB.ToJsonString())!;
        var hash = Convert.FromBase64String((string)proof["hashes"]![0]!);
        hash[7] ^= 0x20;
        flipped["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!["hashes"]![0] = Convert.ToBase64String(hash);
        Assert.Contains("inclusion proof check failed", await Fails(Request(f, "scripted.test/app:b", bundle: await SaveAsync(f, "proof.json", flipped))), StringComparison.Ordinal);

        var note = (string)proof["checkpoint"]!["envelope"]!;
        var forged = JsonNode.Parse(bundleB.ToJsonString())!;
        var signature = note.LastIndexOf(' ') + 10;
        forged["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!["checkpoint"]!["envelope"] = note[..signature] + (note[signature] == 'A' ? 'B' : 'A') + note[(signature + 1)..];
        Assert.Contains("checkpoint check failed", await Fails(Request(f, "scripted.test/app:b", bundle: await SaveAsync(f, "checkpoint.json", forged))), StringComparison.Ordinal);

        // A sighting of the tag signed by another key, in the very same log.
        using var other = InstanceKey.FromEcdsa(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var claim = new SightingClaim(Typed.Tag("scripted.test/app:a"), Typed.Digest(a), TagUpstream.ManifestType, DateTimeOffset.UtcNow, "elsewhere", other.Identity);
        var envelope = other.SignEnvelope(Dsse.InTotoPayloadType, SightingStatement.Encode(claim));
        var entry = await new EmbeddedSightingLog(f.Proxy.Services.GetRequiredService<EmbeddedLog>(), TimeProvider.System).AppendAsync(envelope, SignerMaterial.ForKey(other.PublicKeyDer), Ct);
        var stranger = f.Files.Combine("stranger.json");
        await File.WriteAllBytesAsync(stranger, BundleJson.Write(new SigstoreBundle(VerificationMaterial.ForKey(KeyPolicy.Hint(other.PublicKeyDer)), entry, envelope, null)), Ct);
        var wrongSigner = await Fails(Request(f, "scripted.test/app:a", bundle: stranger));
        Assert.Contains("signature check failed", wrongSigner, StringComparison.Ordinal);
        Assert.Contains($"names signer key {KeyPolicy.Hint(other.PublicKeyDer)}, not the expected", wrongSigner, StringComparison.Ordinal);

        // Trust that was not given is not assumed.
        Assert.Contains("name the signer", await Fails(Request(f, "scripted.test/app:a", trust: new TrustFlags(f.TrustedRoot, [], null, null))), StringComparison.Ordinal);
        Assert.Contains("is not in the trusted root", await Fails(Request(f, "scripted.test/app:a", trust: new TrustFlags(null, [f.Key], null, null))), StringComparison.Ordinal);
        Assert.Contains("no sighting of scripted.test/app:never", await Fails(Request(f, "scripted.test/app:never")), StringComparison.Ordinal);
        Assert.Contains("--digest", await Fails(Request(f, "scripted.test/app:a", "sha256:nothex")), StringComparison.Ordinal);

        // The tag moved upstream: the proxy refuses it, and the record still names the first digest.
        f.Upstream.Move("a");
        using (var refused = await f.Http.GetAsync("/v2/scripted.test/app/manifests/a", Ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        }

        var moved = await Fails(Request(f, "scripted.test/app:a", TagUpstream.DigestOf("a", moved: true)));
        Assert.Contains($"digest mismatch: scripted.test/app:a was first seen as {a}, not {TagUpstream.DigestOf("a", moved: true)}", moved, StringComparison.Ordinal);
        Assert.StartsWith("verified scripted.test/app:a", await Verify(Request(f, "scripted.test/app:a", a)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACurrentCheckpointNotSignedByTheLogKeyIsRefused()
    {
        await using var f = await ClientFixture.StartAsync(Ct);
        await f.PullAsync("a", Ct);
        var origin = f.Proxy.Services.GetRequiredService<EmbeddedLog>().Origin;
        var impostor = new Ed25519NoteSigner(origin, RandomNumberGenerator.GetBytes(32));
        var note = NoteOpener.Sign(new Checkpoint(origin, 5, new byte[32], []).Format(), impostor);
        var (app, url) = await LoopbackApp.StartAsync(c => c.Response.WriteAsync(note, c.RequestAborted));
        try
        {
            var message = await Fails(Request(f, "scripted.test/app:a", logUrl: url));
            Assert.Contains("current checkpoint", message, StringComparison.Ordinal);
            Assert.Contains("is not signed by the log's key", message, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(f.StateDir, "checkpoints", LogIdentity.Of(f.Proxy.Services.GetRequiredService<EmbeddedLog>().Trusted))));
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Fact]
    public async Task AForkedLogIsRefusedNamingBothTrees()
    {
        await using var f = await ClientFixture.StartAsync(Ct);
        await f.PullAsync("a", Ct);
        await f.PullAsync("b", Ct);
        var file = f.Files.Combine("a.json");
        await File.WriteAllBytesAsync(file, await f.Http.GetByteArrayAsync("/tlog/bundle?image=scripted.test/app:a", Ct), Ct);
        Assert.Contains("tree size 2", await Verify(Request(f, "scripted.test/app:a", bundle: file)), StringComparison.Ordinal);

        // A second log with the same key (so the same origin) and another history: three other tags.
        using var fork = new TempDirectory();
        Directory.CreateDirectory(fork.Combine("log"));
        File.Copy(Path.Combine(f.Data.Path, "log", "log-key"), fork.Combine("log", "log-key"));
        File.Copy(Path.Combine(f.Data.Path, "signing-key.pem"), fork.Combine("signing-key.pem"));
        await using var forked = await ProxyHost.StartAsync(fork.Path, f.Upstream.Mapping, null, Ct);
        using (var http = new HttpClient { BaseAddress = forked.BaseUri })
        {
            foreach (var tag in new[] { "x", "y", "z" })
            {
                using var pulled = await http.GetAsync("/v2/scripted.test/app/manifests/" + tag, Ct);
                Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
            }
        }

        // This client saw size 2 of the first history: the fork's size 3 does not extend it.
        var message = await Fails(Request(f, "scripted.test/app:a", bundle: file, logUrl: forked.BaseUri));
        Assert.Contains("log consistency check failed", message, StringComparison.Ordinal);
        Assert.Contains("forked", message, StringComparison.Ordinal);
        Assert.Contains("size 3", message, StringComparison.Ordinal);
        Assert.Contains("size 2", message, StringComparison.Ordinal);

        // A client that saw nothing before catches it too: the bundle's own checkpoint is not in the fork.
        var fresh = await Fails(Request(f, "scripted.test/app:a", bundle: file, logUrl: forked.BaseUri, state: f.Files.Combine("fresh")));
        Assert.Contains("forked", fresh, StringComparison.Ordinal);

        // The first log is still consistent with what was cached.
        Assert.Contains("consistent with size 2 seen before", await Verify(Request(f, "scripted.test/app:a", bundle: file)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheCommandLinePrintsOneLineAndExitsByTheOutcome()
    {
        await using var f = await ClientFixture.StartAsync(Ct);
        var digest = await f.PullAsync("a", Ct);
        var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = f.Files.Combine("xdg") };
        string[] common = ["--proxy", f.Proxy.BaseUri.ToString(), "--trusted-root", f.TrustedRoot, "--key", f.Key];

        var ok = await CliProcess.RunAsync(env, ["verify", "scripted.test/app:a", "--digest", digest, .. common]);
        Assert.True(ok.ExitCode == 0, ok.StandardError);
        Assert.Single(ok.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("verified scripted.test/app:a " + digest, ok.StandardOutput, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(f.Files.Combine("xdg", "tlogistry", "checkpoints")));

        var bad = await CliProcess.RunAsync(env, ["verify", "scripted.test/app:a", "--digest", "sha256:" + new string('1', 64), .. common]);
        Assert.Equal(1, bad.ExitCode);
        Assert.StartsWith("tlogistry verify: digest mismatch", bad.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", bad.StandardError, StringComparison.Ordinal);
    }

    private static async Task<string> SaveAsync(ClientFixture f, string name, JsonNode bundle)
    {
        var path = f.Files.Combine(name);
        await File.WriteAllTextAsync(path, bundle.ToJsonString(), Encoding.UTF8, Ct);
        return path;
    }
}
