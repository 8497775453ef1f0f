using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Host;
using Tlogistry.Http;
using Tlogistry.Ledger;
using Tlogistry.Signing;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Merkle;
using Tlogistry.Transparency.Rekor;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Tiles;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// The proxy recording into a live Rekor-API log (<c>tlogistry log serve</c>, its own process
/// on loopback) in v1 and in v2 mode: pins, refusals, a lost store, faults, and bundles that
/// verify without the proxy.
/// </summary>
public sealed class RekorLogTests
{
    private const string Manifest = "application/vnd.oci.image.manifest.v1+json";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("rekor-v1")]
    [InlineData("rekor-v2")]
    public async Task PinsHoldAcrossALostStoreAndBundlesVerifyAgainstTheLog(string mode)
    {
        using var logDir = new TempDirectory();
        using var data = new TempDirectory();
        await using var log = await LogServeProcess.StartAsync(logDir.Path, Ct);
        await using var upstream = await TagUpstream.StartAsync();
        var settings = Settings(mode, log.BaseUri, log.TrustedRootPath);

        string pinned;
        string export;
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using (var first = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct))
            {
                Assert.Equal(HttpStatusCode.OK, first.StatusCode);
                Assert.Equal("true", first.Headers.GetValues("Tlog-First-Seen").Single());
                pinned = first.Headers.GetValues("Docker-Content-Digest").Single();
            }

            upstream.Move("v1");
            await AssertMismatch(http, "/v2/scripted.test/app/manifests/v1", pinned);
            upstream.Restore("v1");

            // The bundle, checked with nothing but the log's trusted root and the proxy's public key.
            var bundle = BundleJson.Read(await http.GetByteArrayAsync("/tlog/bundle?image=scripted.test/app:v1", Ct));
            await AssertVerifiesAgainstLogAsync(bundle, log, data.Path, "scripted.test/app:v1", pinned, mode);
            export = await http.GetStringAsync("/tlog/bundles", Ct);
        }

        // The store is lost. v1 finds the pin again by search; v2 needs the bundle export.
        SightingStore.Delete(data.Path);
        if (mode == "rekor-v2")
        {
            var file = Path.Combine(data.Path, "export.jsonl");
            await File.WriteAllTextAsync(file, export, Ct);
            var progress = new StringWriter();
            Assert.Equal(0, await IndexRebuild.RunAsync(WithDataDir(settings, data.Path), file, progress, Ct));
            Assert.Contains("1 sightings added", progress.ToString(), StringComparison.Ordinal);
        }

        upstream.Move("v1");
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            await AssertMismatch(http, "/v2/scripted.test/app/manifests/v1", pinned);
        }

        // One log entry in all: the lost store did not lead to a second sighting.
        Assert.Equal(1, await LogSizeAsync(log));
    }

    [Fact]
    public async Task OfTwoValidSightingsOfOneTagWithDifferentDigestsTheEarlierInTheLogIsThePin()
    {
        using var logDir = new TempDirectory();
        using var data = new TempDirectory();
        await using var log = await LogServeProcess.StartAsync(logDir.Path, Ct);
        await using var upstream = await TagUpstream.StartAsync();
        var settings = Settings("rekor-v1", log.BaseUri, log.TrustedRootPath);
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using var first = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct);
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        // Someone holding the instance key logs a second sighting of the tag, with another digest.
        using (var key = InstanceKey.LoadOrCreate(Path.Combine(data.Path, "signing-key.pem")))
        using (var client = new HttpClient())
        {
            var claim = new SightingClaim(Typed.Tag("scripted.test/app:v1"), Typed.Digest("sha256:" + new string('e', 64)), Manifest, DateTimeOffset.UtcNow, "elsewhere", key.Identity);
            var rekor = new RekorV1Log(log.BaseUri, LogIds.ForRekorV1(TrustedRoot.Parse(await File.ReadAllBytesAsync(log.TrustedRootPath, Ct)).Logs[0].PublicKeyDer), client, JsonHttpOptions.ForRekor(), NullLogger<RekorV1Log>.Instance);
            await rekor.AppendAsync(key.SignEnvelope(Dsse.InTotoPayloadType, SightingStatement.Encode(claim)), SignerMaterial.ForKey(key.PublicKeyDer), Ct);
        }

        SightingStore.Delete(data.Path);
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using var kept = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct);
            Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
            Assert.False(kept.Headers.Contains("Tlog-First-Seen"));
            Assert.Equal(TagUpstream.DigestOf("v1", moved: false), kept.Headers.GetValues("Docker-Content-Digest").Single());
            Assert.Equal("0", kept.Headers.GetValues("Tlog-Logindex").Single());

            // The later entry's digest is not a pin either: a tag moved anywhere is refused.
            upstream.Move("v1");
            using var moved = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct);
            Assert.Equal(HttpStatusCode.Conflict, moved.StatusCode);
        }
    }

    [Theory]
    [InlineData("rekor-v1")]
    [InlineData("rekor-v2")]
    public async Task ALogThatFailsOrHangsGives503AndNoPin(string mode)
    {
        using var logDir = new TempDirectory();
        using var data = new TempDirectory();
        await using var log = await LogServeProcess.StartAsync(logDir.Path, Ct);
        await using var upstream = await TagUpstream.StartAsync();
        await using var relay = await FaultyRelay.StartAsync(log.BaseUri);
        var settings = Settings(mode, relay.BaseUri, RelayTrustedRoot(log, relay, data.Path));
        settings["Tlogistry:Rekor:RequestTimeout"] = "00:00:01";
        settings["Tlogistry:Rekor:RetryDelay"] = "00:00:00.050";
        await using var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };

        foreach (var fault in new[] { FaultyRelay.Fault.Error500, FaultyRelay.Fault.Hang })
        {
            relay.Mode = fault;
            using var response = await http.GetAsync("/v2/scripted.test/app/manifests/" + fault, Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("\"code\":\"UNAVAILABLE\"", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        Assert.Equal(0, await LogSizeAsync(log));

        // Back up: the same tags are pinned now, once each.
        relay.Mode = FaultyRelay.Fault.None;
        using (var ok = await http.GetAsync("/v2/scripted.test/app/manifests/Hang", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        Assert.Equal(1, await LogSizeAsync(log));
    }

    [Fact]
    public async Task ALogEntryWithABrokenProofIsIgnored()
    {
        using var logDir = new TempDirectory();
        using var data = new TempDirectory();
        await using var log = await LogServeProcess.StartAsync(logDir.Path, Ct);
        await using var upstream = await TagUpstream.StartAsync();
        await using var relay = await FaultyRelay.StartAsync(log.BaseUri);
        var settings = Settings("rekor-v1", relay.BaseUri, RelayTrustedRoot(log, relay, data.Path));
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using var first = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct);
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        // With the store lost, the search finds the entry, but the log now serves it with a
        // root hash that is not its checkpoint's: it does not count as a pin.
        SightingStore.Delete(data.Path);
        relay.Mode = FaultyRelay.Fault.BreakProofs;
        upstream.Move("v1");
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            relay.Mode = FaultyRelay.Fault.BreakProofs;
            using var again = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct);

            // Not refused as a mismatch: the broken entry was ignored. The new sighting's own
            // answer is broken too, so the proxy refuses to pin on it (503), never a wrong pin.
            Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
            Assert.Contains("does not verify", await again.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SightingsWrittenByTheGoTlogistryCountOnlyByTheNamedLegacyLogAndKeyAndNeverAsNewPins()
    {
        using var logDir = new TempDirectory();
        using var data = new TempDirectory();
        await using var log = await LogServeProcess.StartAsync(logDir.Path, Ct);
        await using var upstream = await TagUpstream.StartAsync();
        var settings = Settings("rekor-v1", log.BaseUri, log.TrustedRootPath);

        // intoto v0.0.1 entries with predicateType tlogistry-fetched, each pinning its tag to
        // what upstream serves when moved: one naming this instance's key, one a stranger's.
        // Such an entry keeps no signature: only the log says the key signed it.
        var legacyKey = Path.Combine(data.Path, "legacy.pem");
        using (var ours = InstanceKey.LoadOrCreate(Path.Combine(data.Path, "signing-key.pem")))
        using (var stranger = InstanceKey.LoadOrCreate(Path.Combine(data.Path, "stranger.pem")))
        {
            await PostLegacyAsync(log, ours, "scripted.test/app:old", TagUpstream.DigestOf("old", moved: true));
            await PostLegacyAsync(log, stranger, "scripted.test/app:other", TagUpstream.DigestOf("other", moved: true));
            await File.WriteAllTextAsync(legacyKey, ours.PublicKeyPem, Ct);
        }

        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };

            // Found by search, neither becomes a pin: both tags are recorded as first sightings.
            foreach (var tag in new[] { "old", "other" })
            {
                using var response = await http.GetAsync("/v2/scripted.test/app/manifests/" + tag, Ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("true", response.Headers.GetValues("Tlog-First-Seen").Single());
            }
        }

        // index rebuild by key: without the legacy flags only the two signed sightings count, and
        // the unsigned entry that names our key is reported as not restored (exit 1), not skipped quietly.
        SightingStore.Delete(data.Path);
        var progress = new StringWriter();
        Assert.Equal(1, await IndexRebuild.RunAsync(WithDataDir(settings, data.Path), null, progress, Ct));
        Assert.Contains("2 sightings added", progress.ToString(), StringComparison.Ordinal);
        Assert.Contains("1 entries were not restored", progress.ToString(), StringComparison.Ordinal);

        // With them, the operator imports the legacy entry of the named log and key: it is
        // earlier in the log, so it is the pin of its tag, and the conflict with the later
        // sighting is reported (exit 1); the stranger's still counts for nothing.
        var legacy = new Dictionary<string, string?>(settings)
        {
            ["Tlogistry:LegacyLog"] = Convert.ToHexStringLower(LogIds.ForRekorV1(TrustedRoot.Parse(await File.ReadAllBytesAsync(log.TrustedRootPath, Ct)).Logs[0].PublicKeyDer)),
            ["Tlogistry:LegacyKey"] = legacyKey,
        };
        progress = new StringWriter();
        Assert.Equal(1, await IndexRebuild.RunAsync(WithDataDir(legacy, data.Path), null, progress, Ct));
        Assert.Contains("1 sightings added", progress.ToString(), StringComparison.Ordinal);
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, legacy, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            await AssertMismatch(http, "/v2/scripted.test/app/manifests/old", TagUpstream.DigestOf("old", moved: true));
        }

        // The stored legacy pin, read without the flags, does not verify: 503, never a new pin.
        await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct))
        {
            using var http = new HttpClient { BaseAddress = proxy.BaseUri };
            using var refused = await http.GetAsync("/v2/scripted.test/app/manifests/old", Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }
    }

    /// <summary>Logs a sighting the way the Go tlogistry did: intoto v0.0.1, predicate {tag, digest}. The log keeps no signature of it.</summary>
    internal static async Task PostLegacyAsync(LogServeProcess log, InstanceKey key, string tag, string digest)
    {
        var refHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tag)));
        var statement = Encoding.UTF8.GetBytes(
            $"{{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"predicateType\":\"tlogistry-fetched\",\"subject\":[{{\"name\":\"{tag}\",\"digest\":{{\"sha256\":\"{refHash}\"}}}}],\"predicate\":{{\"tag\":\"{tag}\",\"digest\":\"{digest}\"}}}}");
        var envelope = Encoding.UTF8.GetString(key.SignEnvelope(Dsse.InTotoPayloadType, statement).ToJson());
        var proposed = new System.Text.Json.Nodes.JsonObject
        {
            ["kind"] = "intoto",
            ["apiVersion"] = "0.0.1",
            ["spec"] = new System.Text.Json.Nodes.JsonObject
            {
                ["content"] = new System.Text.Json.Nodes.JsonObject { ["envelope"] = envelope },
                ["publicKey"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(key.PublicKeyPem)),
            },
        };
        using var client = new HttpClient();
        using var created = await client.PostAsync(new Uri(log.BaseUri, "/api/v1/log/entries"), new StringContent(proposed.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    private static Dictionary<string, string?> Settings(string mode, Uri log, string trustedRoot) => new()
    {
        ["Tlogistry:Log"] = $"{mode}={log}",
        ["Tlogistry:TrustedRoot"] = trustedRoot,
    };

    private static Dictionary<string, string?> WithDataDir(Dictionary<string, string?> settings, string dataDir) =>
        new(settings) { ["Tlogistry:DataDir"] = dataDir, ["Logging:LogLevel:Default"] = "Warning" };

    /// <summary>The log's trusted root with its URL replaced by the relay's, as an operator would write it.</summary>
    private static string RelayTrustedRoot(LogServeProcess log, FaultyRelay relay, string dir)
    {
        var path = Path.Combine(dir, "relay_root.json");
        var text = File.ReadAllText(log.TrustedRootPath).Replace(log.BaseUri.ToString().TrimEnd('/'), relay.BaseUri.ToString().TrimEnd('/'), StringComparison.Ordinal);
        File.WriteAllText(path, text);
        return path;
    }

    private static async Task AssertMismatch(HttpClient http, string path, string pinned)
    {
        using var response = await http.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("DENIED", body, StringComparison.Ordinal);
        Assert.Contains(pinned, body, StringComparison.Ordinal);
    }

    /// <summary>
    /// Verifies a bundle with the log's published trusted root and the proxy's public key only,
    /// then checks it against the live log: the leaf is in the tiles and in the current tree.
    /// </summary>
    private static async Task AssertVerifiesAgainstLogAsync(SigstoreBundle bundle, LogServeProcess log, string proxyDataDir, string reference, string digest, string mode)
    {
        var root = TrustedRoot.Parse(await File.ReadAllBytesAsync(log.TrustedRootPath, Ct));
        using var key = InstanceKey.LoadOrCreate(Path.Combine(proxyDataDir, "signing-key.pem"));
        var verified = new BundleVerifier(root).Verify(bundle, BundleSigner.Key(key.PublicKeyDer), DateTimeOffset.UtcNow);
        var claim = SightingStatement.Decode(verified.Envelope!.Payload);
        Assert.Equal((reference, digest), (claim.Reference.Canonical, claim.Digest.ToString()));
        Assert.Equal(mode == "rekor-v1" ? ("intoto", "0.0.2") : ("hashedrekord", "0.0.2"), (bundle.Entry.Kind, bundle.Entry.Version));
        Assert.Equal(mode == "rekor-v1", bundle.Entry.SignedEntryTimestamp is not null);

        using var client = new HttpClient();
        var tiles = new RekorV2Log(log.BaseUri, root.Logs[1].LogId, client, JsonHttpOptions.ForRekor(), NullLogger<RekorV2Log>.Instance);
        var v2 = root.Logs.First(l => !l.LogId.AsSpan().SequenceEqual(LogIds.ForRekorV1(l.PublicKeyDer)));
        var checkpoint = CheckpointVerifier.Verify(v2, await tiles.ReadCheckpointAsync(Ct));
        var index = bundle.Entry.InclusionProof!.LogIndex;
        var leaves = await tiles.ReadEntryBundleAsync(index / TileMath.TileWidth, (int)Math.Min(TileMath.TileWidth, checkpoint.Size - (index / TileMath.TileWidth * TileMath.TileWidth)), Ct);
        Assert.Equal(bundle.Entry.CanonicalizedBody, leaves[(int)(index % TileMath.TileWidth)]);
        var proof = await tiles.InclusionProofAsync(index, checkpoint.Size, Ct);
        MerkleProof.VerifyInclusion(index, checkpoint.Size, Rfc6962.LeafHash(bundle.Entry.CanonicalizedBody), proof, checkpoint.RootHash);
    }

    private static async Task<long> LogSizeAsync(LogServeProcess log)
    {
        using var client = new HttpClient();
        var note = await client.GetStringAsync(new Uri(log.BaseUri, "/checkpoint"), Ct);
        return long.Parse(note.Split('\n')[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
