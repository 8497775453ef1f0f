using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Tlogistry.Tests.Support.Doubles;

/// <summary>
/// An in-memory registry that follows distribution-spec v1.1 exactly where CNCF Distribution 2.8
/// does not: the referrers API (an image index of the manifests whose <c>subject</c> is the
/// digest, 200 and empty for an unknown one, <c>artifactType</c> filtering announced by
/// <c>OCI-Filters-Applied</c>) and tag-list pagination (<c>n</c>, <c>last</c>, and a
/// <c>Link: &lt;…&gt;; rel="next"</c> while tags remain). Manifests, tags and blobs are put by
/// the test; every request is recorded with its query.
/// </summary>
public sealed class Oci11Registry : IAsyncDisposable
{
    public const string IndexType = "application/vnd.oci.image.index.v1+json";

    private readonly ConcurrentDictionary<string, (byte[] Bytes, string MediaType)> _manifests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _blobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _tags = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _requests = new();
    private WebApplication? _app;

    private Oci11Registry()
    {
    }

    public Uri BaseUri { get; private set; } = null!;

    /// <summary>The repository every route answers for; any other name is 404 NAME_UNKNOWN.</summary>
    public string Repository { get; init; } = "org/app";

    /// <summary>Every request under /v2/&lt;name&gt;/ as <c>METHOD path?query</c>, in order.</summary>
    public IReadOnlyCollection<string> Requests => _requests;

    public static async Task<Oci11Registry> StartAsync(string repository = "org/app")
    {
        var registry = new Oci11Registry { Repository = repository };
        var (app, baseUri) = await LoopbackApp.StartAsync(registry.HandleAsync);
        registry._app = app;
        registry.BaseUri = baseUri;
        return registry;
    }

    public static string Digest(byte[] bytes) => OciImageBuilder.Sha256Digest(bytes);

    /// <summary>Stores a manifest by digest, and under <paramref name="tag"/> when given (moving the tag if it had another).</summary>
    public string PutManifest(byte[] bytes, string mediaType, string? tag = null)
    {
        var digest = Digest(bytes);
        _manifests[digest] = (bytes, mediaType);
        if (tag is not null)
        {
            _tags[tag] = digest;
        }

        return digest;
    }

    public string PutBlob(byte[] bytes)
    {
        var digest = Digest(bytes);
        _blobs[digest] = bytes;
        return digest;
    }

    /// <summary>
    /// An OCI image manifest with the empty config, one layer of <paramref name="layerText"/>
    /// (its blob stored too), and, when given, an <c>artifactType</c> and a <c>subject</c>.
    /// </summary>
    public byte[] Manifest(string layerText, string? artifactType = null, string? subject = null, string? annotation = null)
    {
        var empty = "{}"u8.ToArray();
        var layer = Encoding.UTF8.GetBytes(layerText);
        PutBlob(empty);
        PutBlob(layer);
        var node = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciImageBuilder.ManifestMediaType,
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.empty.v1+json", ["digest"] = Digest(empty), ["size"] = empty.Length },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar", ["digest"] = Digest(layer), ["size"] = layer.Length }),
        };
        if (artifactType is not null)
        {
            node["artifactType"] = artifactType;
        }

        if (subject is not null)
        {
            var (bytes, mediaType) = _manifests[subject];
            node["subject"] = new JsonObject { ["mediaType"] = mediaType, ["digest"] = subject, ["size"] = bytes.Length };
        }

        if (annotation is not null)
        {
            node["annotations"] = new JsonObject { ["org.example.note"] = annotation };
        }

        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    public ValueTask DisposeAsync() => _app is null ? ValueTask.CompletedTask : LoopbackApp.StopAsync(_app);

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (path is "/v2/" or "/v2")
        {
            return;
        }

        var prefix = "/v2/" + Repository + "/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            await ErrorAsync(context, 404, "NAME_UNKNOWN");
            return;
        }

        var rest = path[prefix.Length..];
        _requests.Enqueue(context.Request.Method + " " + rest + context.Request.QueryString.Value);
        var head = HttpMethods.IsHead(context.Request.Method);
        if (rest.StartsWith("manifests/", StringComparison.Ordinal))
        {
            var reference = rest["manifests/".Length..];
            var digest = _tags.TryGetValue(reference, out var tagged) ? tagged : reference;
            if (!_manifests.TryGetValue(digest, out var manifest))
            {
                await ErrorAsync(context, 404, "MANIFEST_UNKNOWN");
                return;
            }

            context.Response.Headers["Docker-Content-Digest"] = digest;
            await WriteAsync(context, manifest.MediaType, manifest.Bytes, head);
        }
        else if (rest.StartsWith("blobs/", StringComparison.Ordinal))
        {
            if (!_blobs.TryGetValue(rest["blobs/".Length..], out var blob))
            {
                await ErrorAsync(context, 404, "BLOB_UNKNOWN");
                return;
            }

            await WriteAsync(context, "application/octet-stream", blob, head);
        }
        else if (rest == "tags/list")
        {
            await TagListAsync(context, head);
        }
        else if (rest.StartsWith("referrers/", StringComparison.Ordinal))
        {
            await ReferrersAsync(context, rest["referrers/".Length..], head);
        }
        else
        {
            await ErrorAsync(context, 404, "UNSUPPORTED");
        }
    }

    private async Task TagListAsync(HttpContext context, bool head)
    {
        var query = context.Request.Query;
        var tags = _tags.Keys.Order(StringComparer.Ordinal).ToList();
        if (query["last"].ToString() is { Length: > 0 } last)
        {
            tags = tags.Where(t => string.CompareOrdinal(t, last) > 0).ToList();
        }

        if (query["n"].ToString() is { Length: > 0 } nText)
        {
            if (!int.TryParse(nText, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                await ErrorAsync(context, 400, "PAGINATION_NUMBER_INVALID");
                return;
            }

            if (tags.Count > n)
            {
                tags = tags.Take(n).ToList();
                if (n > 0)
                {
                    context.Response.Headers["Link"] = $"</v2/{Repository}/tags/list?n={n}&last={Uri.EscapeDataString(tags[^1])}>; rel=\"next\"";
                }
            }
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new { name = Repository, tags });
        await WriteAsync(context, "application/json", body, head);
    }

    private async Task ReferrersAsync(HttpContext context, string subject, bool head)
    {
        var artifactType = context.Request.Query["artifactType"].ToString();
        var descriptors = new JsonArray();
        foreach (var (digest, manifest) in _manifests.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            var node = JsonNode.Parse(manifest.Bytes)!;
            if (node["subject"]?["digest"]?.GetValue<string>() != subject)
            {
                continue;
            }

            var type = node["artifactType"]?.GetValue<string>() ?? node["config"]?["mediaType"]?.GetValue<string>();
            if (artifactType.Length > 0 && type != artifactType)
            {
                continue;
            }

            var descriptor = new JsonObject { ["mediaType"] = manifest.MediaType, ["digest"] = digest, ["size"] = manifest.Bytes.Length, ["artifactType"] = type };
            if (node["annotations"] is JsonObject annotations)
            {
                descriptor["annotations"] = annotations.DeepClone();
            }

            descriptors.Add(descriptor);
        }

        if (artifactType.Length > 0)
        {
            context.Response.Headers["OCI-Filters-Applied"] = "artifactType";
        }

        var index = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = IndexType, ["manifests"] = descriptors };
        await WriteAsync(context, IndexType, Encoding.UTF8.GetBytes(index.ToJsonString()), head);
    }

    private static async Task WriteAsync(HttpContext context, string type, byte[] body, bool head)
    {
        context.Response.ContentType = type;
        context.Response.ContentLength = body.Length;
        if (!head)
        {
            await context.Response.Body.WriteAsync(body);
        }
    }

    private static Task ErrorAsync(HttpContext context, int status, string code)
    {
        context.Response.StatusCode = status;
        return WriteAsync(context, "application/json", Encoding.UTF8.GetBytes($$"""{"errors":[{"code":"{{code}}","message":"{{code}}"}]}"""), HttpMethods.IsHead(context.Request.Method));
    }
}
