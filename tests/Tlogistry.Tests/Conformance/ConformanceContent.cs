using System.Text;
using System.Text.Json.Nodes;

namespace Tlogistry.Tests.Conformance;

/// <summary>
/// The content the distribution-spec conformance workflows read, built as that suite builds it
/// (config blobs, a layer, manifests tagged or pushed by digest, a run of tags, an artifact
/// subject with referrers, an empty blob, an index) and pushed once to a real registry. Every
/// byte is derived from fixed seeds, so what a check expects is computed, not written down.
/// </summary>
public sealed class ConformanceContent
{
    public const string Repository = "conformance/repo1";
    public const string Tag = "tagtest0";
    public const string ArtifactTypeA = "application/vnd.nhl.peanut.butter.bagel";
    public const string ArtifactTypeB = "application/vnd.nhl.peanut.butter.bagel.b";
    public const string AnnotationKey = "org.opencontainers.conformance.test";
    public const string EmptyJsonType = "application/vnd.oci.empty.v1+json";

    /// <summary>The tags the content-discovery workflow pushes and lists.</summary>
    public static readonly IReadOnlyList<string> DiscoveryTags = ["test0", "test1", "test2", "test3"];

    private ConformanceContent()
    {
    }

    /// <summary>Config blobs, one per manifest.</summary>
    public IReadOnlyList<byte[]> Configs { get; private init; } = [];

    /// <summary>The one layer every image shares: 2048 bytes, so ranges can fall inside and outside it.</summary>
    public byte[] Layer { get; private init; } = [];

    /// <summary>manifests[0] (tagged <see cref="Tag"/>), [1] (by digest), [2] (the discovery tags), [3] (by digest), [4] (the referrers' subject).</summary>
    public IReadOnlyList<byte[]> Manifests { get; private init; } = [];

    /// <summary>Artifacts whose subject is manifests[4], each with one annotation.</summary>
    public IReadOnlyList<byte[]> Referrers { get; private init; } = [];

    /// <summary>An image index over manifests[0] and [1], tagged <c>index</c>.</summary>
    public byte[] Index { get; private init; } = [];

    public static string Digest(byte[] bytes) => OciImageBuilder.Sha256Digest(bytes);

    /// <summary>A digest no content here has.</summary>
    public static string Missing(string seed) => OciImageBuilder.Sha256Digest(Encoding.UTF8.GetBytes("missing " + seed));

    public static ConformanceContent Build()
    {
        var random = new Random(23);
        var layer = new byte[2048];
        random.NextBytes(layer);
        var configs = Enumerable.Range(0, 5).Select(i => Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["author"] = $"conformance config {i}",
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(Digest(layer)) },
        }.ToJsonString())).ToArray();
        var manifests = configs.Select(c => Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciImageBuilder.ManifestMediaType,
            ["config"] = Descriptor(OciImageBuilder.ConfigMediaType, c),
            ["layers"] = new JsonArray(Descriptor(OciImageBuilder.TarMediaType, layer)),
        })).ToArray();
        var subject = Descriptor(OciImageBuilder.ManifestMediaType, manifests[4]);
        var referrers = new[] { ArtifactTypeA, ArtifactTypeB, ArtifactTypeA }.Select((type, i) => Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciImageBuilder.ManifestMediaType,
            ["artifactType"] = type,
            ["config"] = Descriptor(EmptyJsonType, EmptyJson),
            ["layers"] = new JsonArray(Descriptor(EmptyJsonType, EmptyJson)),
            ["subject"] = subject.DeepClone(),
            ["annotations"] = new JsonObject { [AnnotationKey] = $"referrer {i}" },
        })).ToArray();
        var index = Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciImageBuilder.IndexMediaType,
            ["manifests"] = new JsonArray(Descriptor(OciImageBuilder.ManifestMediaType, manifests[0]), Descriptor(OciImageBuilder.ManifestMediaType, manifests[1])),
        });
        return new ConformanceContent { Configs = configs, Layer = layer, Manifests = manifests, Referrers = referrers, Index = index };
    }

    /// <summary>The empty JSON blob, <c>{}</c>, which artifacts name as their config.</summary>
    public static byte[] EmptyJson { get; } = "{}"u8.ToArray();

    /// <summary>Pushes everything to <paramref name="registry"/>, as the workflows' setup steps do.</summary>
    public async Task PushAsync(HttpClient registry, CancellationToken cancellationToken)
    {
        var push = new RegistryPush(registry);
        foreach (var blob in Configs.Append(Layer).Append(EmptyJson).Append([]))
        {
            await push.UploadBlobAsync(Repository, blob, cancellationToken);
        }

        await push.PutManifestAsync(Repository, Tag, Manifests[0], OciImageBuilder.ManifestMediaType, cancellationToken);
        foreach (var i in new[] { 1, 3, 4 })
        {
            await push.PutManifestAsync(Repository, Digest(Manifests[i]), Manifests[i], OciImageBuilder.ManifestMediaType, cancellationToken);
        }

        foreach (var tag in DiscoveryTags)
        {
            await push.PutManifestAsync(Repository, tag, Manifests[2], OciImageBuilder.ManifestMediaType, cancellationToken);
        }

        foreach (var referrer in Referrers)
        {
            await push.PutManifestAsync(Repository, Digest(referrer), referrer, OciImageBuilder.ManifestMediaType, cancellationToken);
        }

        await push.PutManifestAsync(Repository, "index", Index, OciImageBuilder.IndexMediaType, cancellationToken);
    }

    private static JsonObject Descriptor(string mediaType, byte[] bytes) => new()
    {
        ["mediaType"] = mediaType,
        ["digest"] = Digest(bytes),
        ["size"] = bytes.Length,
    };

    private static byte[] Json(JsonObject node) => Encoding.UTF8.GetBytes(node.ToJsonString());
}
