using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tlogistry.Signing;

namespace Tlogistry.Tests.EndToEnd;

/// <summary>
/// Three <c>tlogistry serve</c> replicas, each its own process on loopback, sharing one
/// PostgreSQL database, one log (<c>tlogistry log serve</c> over the Rekor v2 API) and one
/// signing key, in front of a real Distribution registry: however requests spread over them,
/// each tag is recorded once and every replica serves the digest that was pushed.
/// </summary>
[Trait("Category", "E2E")]
public sealed class ReplicaTests
{
    private const string Repository = "library/replicated";
    private const int Tags = 10;
    private const int RequestsPerTag = 30;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ReplicasSharingAStoreAndALogPinEachTagOnceAndAgreeOnEveryPull()
    {
        using var work = new TempDirectory("tlogistry-replicas-");
        await using var database = await PostgresDatabase.CreateAsync(Ct);
        await using var registry = await DistributionRegistry.StartAsync(cancellationToken: Ct);
        await using var log = await LogServeProcess.StartAsync(work.Combine("log"), Ct);
        var pushed = await PushTagsAsync(registry, work.Combine("layout"));

        // One identity: the key made for the first replica is copied into the others' data directories.
        var dataDirs = Enumerable.Range(0, 3).Select(i => work.Combine($"replica-{i}")).ToArray();
        InstanceKey.LoadOrCreate(Path.Combine(dataDirs[0], "signing-key.pem")).Dispose();
        foreach (var dir in dataDirs.Skip(1))
        {
            Directory.CreateDirectory(dir);
            File.Copy(Path.Combine(dataDirs[0], "signing-key.pem"), Path.Combine(dir, "signing-key.pem"));
        }

        string[] upstreams = ["docker.io=" + registry.BaseUri];
        string[] flags = ["--store", "postgres=" + database.ConnectionString, "--log", $"rekor-v2={log.BaseUri}", "--trusted-root", log.TrustedRootPath];
        var replicas = await Task.WhenAll(dataDirs.Select(d => ServeProcess.StartAsync(d, upstreams, Ct, flags)));
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, MaxConnectionsPerServer = 100 }) { Timeout = TimeSpan.FromSeconds(60) };
        try
        {
            // Request k goes to replica k % 3; with 10 tags per round, each tag's requests reach all three.
            var order = Enumerable.Range(0, RequestsPerTag).SelectMany(_ => pushed.Keys).ToList();
            var answers = await Task.WhenAll(order.Select((tag, k) => GetTagAsync(http, replicas[k % replicas.Length], tag)));

            Assert.All(answers, a => Assert.Equal((a.Tag, HttpStatusCode.OK, pushed[a.Tag]), (a.Tag, a.Status, a.Digest)));
            Assert.All(answers.GroupBy(a => a.Tag), g =>
            {
                Assert.Equal(RequestsPerTag, g.Count());
                Assert.Single(g, a => a.FirstSeen);
                Assert.Single(g.Select(a => a.LogIndex).Distinct());
            });
            Assert.Equal(Tags, await LogSizeAsync(log));
            Assert.Equal(Tags, await database.ScalarAsync<long>("SELECT count(*) FROM tlogistry_sightings"));

            // A restarted replica starts with empty caches and still agrees.
            Assert.Equal(0, await replicas[1].StopAsync(Ct));
            await replicas[1].DisposeAsync();
            replicas[1] = await ServeProcess.StartAsync(dataDirs[1], upstreams, Ct, flags);
            var indexes = answers.GroupBy(a => a.Tag).ToDictionary(g => g.Key, g => g.First().LogIndex);
            foreach (var replica in replicas)
            {
                foreach (var tag in pushed.Keys)
                {
                    var again = await GetTagAsync(http, replica, tag);
                    Assert.Equal((HttpStatusCode.OK, pushed[tag], false, indexes[tag]), (again.Status, again.Digest, again.FirstSeen, again.LogIndex));
                }
            }

            Assert.Equal(Tags, await LogSizeAsync(log));
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    /// <summary>Pushes one image under <see cref="Tags"/> tags, each manifest made distinct by an annotation; returns tag → digest.</summary>
    private static async Task<Dictionary<string, string>> PushTagsAsync(DistributionRegistry registry, string layout)
    {
        using var http = new HttpClient { BaseAddress = registry.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        var push = new RegistryPush(http);
        var image = new OciImageBuilder(layout).AddImage("replicated", "replicated image");
        await push.UploadImageBlobsAsync(Repository, image, layout, Ct);

        var pushed = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < Tags; i++)
        {
            var tag = string.Create(CultureInfo.InvariantCulture, $"v{i}");
            var manifest = JsonNode.Parse(image.ManifestBytes)!.AsObject();
            manifest["annotations"] = new JsonObject { ["org.tlogistry.test.tag"] = tag };
            pushed[tag] = await push.PutManifestAsync(Repository, tag, Encoding.UTF8.GetBytes(manifest.ToJsonString()), OciImageBuilder.ManifestMediaType, Ct);
        }

        return pushed;
    }

    private static async Task<Answer> GetTagAsync(HttpClient http, ServeProcess replica, string tag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(replica.BaseUri, $"/v2/replicated/manifests/{tag}"));
        request.Headers.Accept.ParseAdd(OciImageBuilder.ManifestMediaType);
        using var response = await http.SendAsync(request, Ct);
        string? H(string name) => response.Headers.TryGetValues(name, out var v) ? v.Single() : null;
        await response.Content.ReadAsByteArrayAsync(Ct);
        return new Answer(tag, response.StatusCode, H("Docker-Content-Digest"), H("Tlog-First-Seen") == "true", H("Tlog-Logindex"));
    }

    private static async Task<long> LogSizeAsync(LogServeProcess log)
    {
        using var client = new HttpClient();
        var note = await client.GetStringAsync(new Uri(log.BaseUri, "/checkpoint"), Ct);
        return long.Parse(note.Split('\n')[1], CultureInfo.InvariantCulture);
    }

    private sealed record Answer(string Tag, HttpStatusCode Status, string? Digest, bool FirstSeen, string? LogIndex);
}
