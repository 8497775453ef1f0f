using System.Net;
using System.Net.Http.Headers;

namespace Tlogistry.Tests.Support.Clients;

/// <summary>
/// Pushes through the registry HTTP API itself: a blob in one upload (POST for a session,
/// PUT with the digest and the whole body), a manifest by PUT. Hundreds of tags of one image
/// go up in the time skopeo needs for a few.
/// </summary>
internal sealed class RegistryPush
{
    private readonly HttpClient _http;

    public RegistryPush(HttpClient http)
    {
        _http = http;
    }

    public async Task UploadBlobAsync(string repository, byte[] blob, CancellationToken cancellationToken)
    {
        using var start = await _http.PostAsync($"/v2/{repository}/blobs/uploads/", null, cancellationToken);
        if (start.StatusCode != HttpStatusCode.Accepted || start.Headers.Location is not { } location)
        {
            throw new InvalidOperationException($"blob upload to {repository} did not start: {(int)start.StatusCode}");
        }

        var session = location.IsAbsoluteUri ? location : new Uri(_http.BaseAddress!, location);
        var separator = session.Query.Length > 0 ? "&" : "?";
        using var content = new ByteArrayContent(blob);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var digest = OciImageBuilder.Sha256Digest(blob);
        using var put = await _http.PutAsync(new Uri(session.AbsoluteUri + separator + "digest=" + Uri.EscapeDataString(digest)), content, cancellationToken);
        if (put.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"blob {digest} upload to {repository} answered {(int)put.StatusCode}");
        }
    }

    /// <summary>Uploads an image's config and layers, read from the OCI layout it was built in.</summary>
    public async Task UploadImageBlobsAsync(string repository, OciImage image, string layoutDirectory, CancellationToken cancellationToken)
    {
        await UploadBlobAsync(repository, image.ConfigBytes, cancellationToken);
        foreach (var layer in image.Layers)
        {
            var path = Path.Combine(layoutDirectory, "blobs", "sha256", layer.Digest["sha256:".Length..]);
            await UploadBlobAsync(repository, await File.ReadAllBytesAsync(path, cancellationToken), cancellationToken);
        }
    }

    /// <summary>PUTs the manifest under the tag and returns the digest the registry reports, checked against the bytes.</summary>
    public async Task<string> PutManifestAsync(string repository, string tag, byte[] manifest, string mediaType, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var put = await _http.PutAsync($"/v2/{repository}/manifests/{tag}", content, cancellationToken);
        var digest = OciImageBuilder.Sha256Digest(manifest);
        if (put.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"manifest {repository}:{tag} answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync(cancellationToken)}");
        }

        if (!put.Headers.TryGetValues("Docker-Content-Digest", out var reported) || reported.Single() != digest)
        {
            throw new InvalidOperationException($"manifest {repository}:{tag} stored under another digest than {digest}");
        }

        return digest;
    }
}
