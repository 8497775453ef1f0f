using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Tlogistry.Tests.Support;

/// <summary>An upstream whose tag t serves a manifest naming t; a moved tag serves another one.</summary>
internal sealed class TagUpstream : IAsyncDisposable
{
    public const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    private readonly ScriptedRegistry _registry;
    private readonly HashSet<string> _moved = [];

    private TagUpstream(ScriptedRegistry registry)
    {
        _registry = registry;
        registry.Handler = Serve;
    }

    public string[] Mapping => ["scripted.test=" + _registry.BaseUri];

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

    public ValueTask DisposeAsync() => _registry.DisposeAsync();

    public static string DigestOf(string tag, bool moved) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Body(tag, moved)));

    private static byte[] Body(string tag, bool moved) =>
        Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"mediaType\":\"{ManifestType}\",\"config\":{{}},\"layers\":[],\"annotations\":{{\"t\":\"{tag}{(moved ? "-moved" : "")}\"}}}}");

    private Task Serve(HttpContext c)
    {
        var tag = c.Request.Path.Value!.Split('/')[^1];
        bool moved;
        lock (_moved)
        {
            moved = _moved.Contains(tag);
        }

        var body = Body(tag, moved);
        c.Response.ContentType = ManifestType;
        c.Response.Headers["Docker-Content-Digest"] = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body));
        return c.Response.Body.WriteAsync(body).AsTask();
    }
}
