using Microsoft.AspNetCore.Http;
using Tlogistry.Upstream;

namespace Tlogistry.Registry.Manifests;

/// <summary>A manifest answered from bytes the proxy holds: the exact bytes, under their own type and digest.</summary>
internal static class ManifestResponse
{
    public static async Task WriteAsync(HttpContext context, UpstreamManifest manifest, bool head, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = manifest.MediaType;
        context.Response.ContentLength = manifest.Length;
        context.Response.Headers["Docker-Content-Digest"] = manifest.Digest;
        if (!head && manifest.Bytes is not null)
        {
            await context.Response.Body.WriteAsync(manifest.Bytes, cancellationToken);
        }
    }
}
