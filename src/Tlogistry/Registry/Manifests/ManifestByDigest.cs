using Microsoft.AspNetCore.Http;
using Tlogistry.Oci;
using Tlogistry.Upstream;

namespace Tlogistry.Registry.Manifests;

/// <summary>
/// A whole sha256 manifest by digest: from memory, or read whole from upstream and kept when
/// its bytes hash to the digest asked for; bytes that do not are never served.
/// </summary>
internal sealed class ManifestByDigest
{
    private readonly ManifestFetcher _manifests;
    private readonly ManifestCache _manifestCache;

    public ManifestByDigest(ManifestFetcher manifests, ManifestCache manifestCache)
    {
        _manifests = manifests;
        _manifestCache = manifestCache;
    }

    public async Task ServeAsync(HttpContext context, ImageName name, string digest, CancellationToken ct)
    {
        var head = HttpMethods.IsHead(context.Request.Method);
        if (!_manifestCache.TryGet(name, digest, out var cached))
        {
            var fetched = await _manifests.GetAsync(name, digest, ct);
            RequestOutcome.SetUpstreamStatus(context, 200);
            if (!string.Equals(fetched.Digest, digest, StringComparison.Ordinal))
            {
                throw new UpstreamException(502, new OciError(
                    OciErrorCodes.ManifestInvalid,
                    $"upstream answered {name.Registry}/{name.Repository}@{digest} with bytes whose digest is {fetched.Digest}; nothing was served"));
            }

            _manifestCache.Add(name, fetched);
            cached = new CachedManifest(fetched.Bytes!, fetched.MediaType, fetched.Digest);
        }

        context.Response.Headers.ETag = "\"" + digest + "\"";
        await ManifestResponse.WriteAsync(context, new UpstreamManifest(cached.Bytes, cached.MediaType, cached.Digest, cached.Bytes.Length, _manifests.UrlFor(name, digest)), head, ct);
    }
}
