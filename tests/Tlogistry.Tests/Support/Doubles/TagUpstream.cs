using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Tlogistry.Tests.Support.Doubles;

/// <summary>
/// An upstream whose tag t serves a manifest naming t; a moved tag serves another one. Every
/// manifest it served by tag is also served by digest, unless it was forgotten (as a registry
/// that garbage-collected it) or corrupted (other bytes under that digest).
/// </summary>
internal sealed class TagUpstream : IAsyncDisposable
{
    public const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    private readonly ScriptedRegistry _registry;
    private readonly HashSet<string> _moved = [];
    private readonly ConcurrentDictionary<string, byte[]> _byDigest = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _corrupted = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _seen = new();

    private TagUpstream(ScriptedRegistry registry)
    {
        _registry = registry;
        registry.Handler = Serve;
    }

    public string[] Mapping => ["scripted.test=" + _registry.BaseUri];

    public Uri BaseUri => _registry.BaseUri;

    /// <summary>Every request as "METHOD /path", in order.</summary>
    public IReadOnlyList<string> Seen => [.. _seen];

    public static async Task<TagUpstream> StartAsync() => new(await ScriptedRegistry.StartAsync());

    public void Move(string tag)
    {
        lock (_moved)
        {
            _moved.Add(tag);
        }
    }

    public void Restore(string tag)
    {
        lock (_moved)
        {
            _moved.Remove(tag);
        }
    }

    /// <summary>The manifest is no longer served by digest: 404 MANIFEST_UNKNOWN.</summary>
    public void Forget(string digest) => _byDigest.TryRemove(digest, out _);

    /// <summary>A request for the digest gets other bytes (and no Docker-Content-Digest to give it away).</summary>
    public void Corrupt(string digest) => _corrupted[digest] = true;

    public ValueTask DisposeAsync() => _registry.DisposeAsync();

    public static string DigestOf(string tag, bool moved) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Body(tag, moved)));

    public static byte[] Body(string tag, bool moved) =>
        Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"mediaType\":\"{ManifestType}\",\"config\":{{}},\"layers\":[],\"annotations\":{{\"t\":\"{tag}{(moved ? "-moved" : "")}\"}}}}");

    private async Task Serve(HttpContext c)
    {
        _seen.Enqueue(c.Request.Method + " " + c.Request.Path);
        var reference = c.Request.Path.Value!.Split('/')[^1];
        c.Response.ContentType = ManifestType;
        if (reference.StartsWith("sha256:", StringComparison.Ordinal))
        {
            if (_corrupted.ContainsKey(reference))
            {
                await c.Response.Body.WriteAsync(Body("corrupted", moved: false));
                return;
            }

            if (!_byDigest.TryGetValue(reference, out var known))
            {
                c.Response.StatusCode = 404;
                c.Response.ContentType = "application/json";
                await c.Response.WriteAsync("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}");
                return;
            }

            c.Response.Headers["Docker-Content-Digest"] = reference;
            await c.Response.Body.WriteAsync(known);
            return;
        }

        bool moved;
        lock (_moved)
        {
            moved = _moved.Contains(reference);
        }

        var body = Body(reference, moved);
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body));
        _byDigest.TryAdd(digest, body);
        c.Response.Headers["Docker-Content-Digest"] = digest;
        await c.Response.Body.WriteAsync(body);
    }
}
