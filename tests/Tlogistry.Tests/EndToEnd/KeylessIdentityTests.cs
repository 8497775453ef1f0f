using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.Http;
using Tlogistry.Ledger;
using Tlogistry.Signing;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Transparency.Rekor;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Sigstore.Identity;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// Keyless identities as Fulcio issues them, end to end: for each token source's issuer the
/// configured identity is typed and matched against the leaf's single SAN by the SAN's own
/// type, so the start check and every read-back agree; and on Rekor v1, strangers flooding a
/// tag's hash neither block the tag nor cost a chain build per entry.
/// </summary>
public sealed class KeylessIdentityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Name, OIDC issuer, the token's own claims, and the SAN Fulcio issues for them.</summary>
    public static TheoryData<string, string, string, string?, string, string> Sources => new()
    {
        {
            "github-actions", "https://token.actions.githubusercontent.com", "repo:org/app:ref:refs/heads/main", null,
            """{"job_workflow_ref":"org/app/.github/workflows/release.yml@refs/heads/main","repository":"org/app"}""",
            "uri:https://github.com/org/app/.github/workflows/release.yml@refs/heads/main"
        },
        {
            "gitlab", "https://gitlab.com", "project_path:org/app:ref_type:branch:ref:main", null,
            """{"ci_config_ref_uri":"gitlab.com/org/app//.gitlab-ci.yml@refs/heads/main","project_path":"org/app"}""",
            "uri:https://gitlab.com/org/app//.gitlab-ci.yml@refs/heads/main"
        },
        {
            "gcp-service-account", "https://accounts.google.com", "104230997523412345678", "tlogistry@project.iam.gserviceaccount.com",
            """{"email_verified":true}""",
            "email:tlogistry@project.iam.gserviceaccount.com"
        },
        {
            "kubernetes", "https://container.googleapis.com/v1/projects/p/locations/l/clusters/c", "system:serviceaccount:registry:tlogistry", null,
            """{"kubernetes.io":{"namespace":"registry","serviceaccount":{"name":"tlogistry","uid":"0f1e"}}}""",
            "uri:https://kubernetes.io/namespaces/registry/serviceaccounts/tlogistry"
        },
    };

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task EachTokenSourcesIdentityStartsPinsAndReadsBack(string name, string issuer, string subject, string? email, string claims, string expected)
    {
        await using var fulcio = await TestFulcio.StartAsync();
        await using var upstream = await TagUpstream.StartAsync();
        using var data = new TempDirectory();
        var san = expected[(expected.IndexOf(':', StringComparison.Ordinal) + 1)..];
        var settings = Keyless(fulcio, data.Path, fulcio.TrustedRoot([]), san, issuer, TestJwt.Mint(issuer, subject, email, DateTimeOffset.UtcNow.AddHours(1), (JsonObject)JsonNode.Parse(claims)!));
        settings["Tlogistry:Log"] = "embedded";

        // Before identities were typed, a workflow URI (it holds an "@") was taken for an e-mail and the start was refused.
        await using var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct);
        using var http = new HttpClient { BaseAddress = proxy.BaseUri };
        using (var first = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct))
        {
            Assert.True(first.StatusCode == HttpStatusCode.OK, $"{name}: {first.StatusCode} {await first.Content.ReadAsStringAsync(Ct)}");
            Assert.Equal("true", first.Headers.GetValues("Tlog-First-Seen").Single());
        }

        var bundle = BundleJson.Read(await http.GetByteArrayAsync("/tlog/bundle?image=scripted.test/app:v1", Ct));
        var leaf = FulcioCertificate.Read(bundle.Material.Certificates[0]);
        Assert.Equal(expected, leaf.San.ToString());
        Assert.Equal(expected + ";issuer=" + issuer, SightingStatement.Decode(bundle.Envelope!.Payload).Identity);

        // The pin was read back under the same typed identity: a moved tag is refused.
        upstream.Move("v1");
        using var moved = await http.GetAsync("/v2/scripted.test/app/manifests/v1", Ct);
        Assert.Equal(HttpStatusCode.Conflict, moved.StatusCode);
    }

    [Fact]
    public async Task StrangersFloodingATagsHashOnRekorV1NeitherBlockNorPinIt()
    {
        const string Tag = "flood";
        var reference = "scripted.test/app:" + Tag;
        using var logDir = new TempDirectory();
        await using var log = await LogServeProcess.StartAsync(logDir.Path, Ct);
        await using var fulcio = await TestFulcio.StartAsync();
        await using var upstream = await TagUpstream.StartAsync();
        var logRoot = TrustedRoot.Parse(await File.ReadAllBytesAsync(log.TrustedRootPath, Ct));
        using var client = new HttpClient();
        var rekor = new RekorV1Log(log.BaseUri, LogIds.ForRekorV1(logRoot.Logs[0].PublicKeyDer), client, JsonHttpOptions.ForRekor(), NullLogger<RekorV1Log>.Instance);

        // More entries than a search reads, each a validly signed "sighting" of the tag by a stranger's key.
        using var strangerDir = new TempDirectory();
        using var stranger = InstanceKey.LoadOrCreate(Path.Combine(strangerDir.Path, "stranger.pem"));
        var count = RekorV1Log.MaxSearchResults + 1;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = Ct }, async (i, ct) =>
        {
            var claim = new SightingClaim(Typed.Tag(reference), Typed.Digest("sha256:" + i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture)), TagUpstream.ManifestType, DateTimeOffset.UtcNow, "elsewhere", stranger.Identity);
            await rekor.AppendAsync(stranger.SignEnvelope(Dsse.InTotoPayloadType, SightingStatement.Encode(claim)), SignerMaterial.ForKey(stranger.PublicKeyDer), ct);
        });
        // A search by the hash alone is all strangers' entries, as many as the log answers (log serve stops at 1,000, the oldest).
        var byHash = await rekor.SearchAsync(reference, SignerMaterial.AnyKey, Ct).ToListAsync(Ct);
        Assert.Equal(RekorV1Log.MaxSearchResults, byHash.Count);

        var root = fulcio.TrustedRoot(logRoot.Logs);
        var identities = new[]
        {
            // An e-mail identity: Rekor narrows the tag search to entries whose certificate names it.
            ("email", "tlogistry@project.iam.gserviceaccount.com", "https://accounts.google.com", TestJwt.Mint("https://accounts.google.com", "1042", "tlogistry@project.iam.gserviceaccount.com", DateTimeOffset.UtcNow.AddHours(1))),

            // A URI identity: Rekor cannot narrow to it; past the cap the store answers alone.
            ("uri", "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main", "https://token.actions.githubusercontent.com",
                TestJwt.Mint("https://token.actions.githubusercontent.com", "repo:org/app:ref:refs/heads/main", null, DateTimeOffset.UtcNow.AddHours(1), new JsonObject { ["job_workflow_ref"] = "org/app/.github/workflows/release.yml@refs/heads/main" })),
        };

        foreach (var (kind, san, issuer, token) in identities)
        {
            upstream.Restore(Tag);
            using var data = new TempDirectory();
            var settings = Keyless(fulcio, data.Path, root, san, issuer, token);
            settings["Tlogistry:Log"] = "rekor-v1=" + log.BaseUri;
            await using (var proxy = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct))
            {
                // Before: the search found more than the cap and every pull answered 503.
                using var http = new HttpClient { BaseAddress = proxy.BaseUri };
                using var first = await http.GetAsync("/v2/scripted.test/app/manifests/" + Tag, Ct);
                Assert.True(first.StatusCode == HttpStatusCode.OK, $"{kind}: {first.StatusCode} {await first.Content.ReadAsStringAsync(Ct)}");
                Assert.Equal("true", first.Headers.GetValues("Tlog-First-Seen").Single());
                Assert.Equal(TagUpstream.DigestOf(Tag, moved: false), first.Headers.GetValues("Docker-Content-Digest").Single());
            }

            if (kind == "email")
            {
                // The store is lost: the narrowed search still finds our one entry among the strangers'.
                SightingStore.Delete(data.Path);
                upstream.Move(Tag);
                await using var restarted = await ProxyHost.StartAsync(data.Path, upstream.Mapping, settings, Ct);
                using var again = new HttpClient { BaseAddress = restarted.BaseUri };
                using var refused = await again.GetAsync("/v2/scripted.test/app/manifests/" + Tag, Ct);
                Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
                Assert.Contains(TagUpstream.DigestOf(Tag, moved: false), await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            }
        }

        // The e-mail search, as sent to the log, returns our entry and no stranger's.
        var ours = await rekor.SearchAsync(reference, SignerMaterial.AnyKeyFor(new CertificateIdentity(SanKind.Email, "tlogistry@project.iam.gserviceaccount.com")), Ct).ToListAsync(Ct);
        Assert.Single(ours);
    }

    private static Dictionary<string, string?> Keyless(TestFulcio fulcio, string dataDir, TrustedRoot root, string identity, string issuer, string token)
    {
        var tokenFile = Path.Combine(dataDir, "token");
        File.WriteAllText(tokenFile, token);
        var rootFile = Path.Combine(dataDir, "trusted_root.json");
        File.WriteAllBytes(rootFile, root.Write());
        return new Dictionary<string, string?>
        {
            ["Tlogistry:Signer"] = "fulcio=" + fulcio.BaseUrl,
            ["Tlogistry:TokenSource"] = "file=" + tokenFile,
            ["Tlogistry:Identity"] = identity,
            ["Tlogistry:Issuer"] = issuer,
            ["Tlogistry:TrustedRoot"] = rootFile,
        };
    }
}
