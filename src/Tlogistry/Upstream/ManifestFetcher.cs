using System.Security.Cryptography;
using Tlogistry.Oci;

namespace Tlogistry.Upstream;

/// <summary>A manifest as upstream served it. <see cref="Bytes"/> is null for a HEAD.</summary>
internal sealed record UpstreamManifest(byte[]? Bytes, string MediaType, string Digest, long Length, Uri Url);

/// <summary>
/// Fetches manifests by tag and establishes their digest from the exact bytes. Upstream's
/// Docker-Content-Digest is a claim to check, never the answer: if it disagrees with the
/// bytes nothing is served and nothing is pinned.
/// </summary>
internal sealed class ManifestFetcher
{
    private readonly RegistryClient _client;

    public ManifestFetcher(RegistryClient client)
    {
        _client = client;
    }

    public async Task<UpstreamManifest> GetAsync(ImageName name, string reference, CancellationToken cancellationToken)
    {
        var suffix = "manifests/" + reference;
        using var exchange = await _client.SendAsync(name, HttpMethod.Get, suffix, AcceptManifests, cancellationToken);
        var response = exchange.Response;
        var what = $"manifest {name.Registry}/{name.Repository}:{reference}";
        if (!response.IsSuccessStatusCode)
        {
            throw UpstreamErrors.FromStatus(response, OciErrorCodes.ManifestUnknown, what);
        }

        byte[]? bytes;
        try
        {
            bytes = await exchange.ReadBodyAsync(MediaTypes.MaxManifestBytes, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new UpstreamException($"reading {what} from upstream failed: {e.Message}", e);
        }

        if (bytes is null)
        {
            throw new UpstreamException(502, new OciError(OciErrorCodes.ManifestInvalid, $"{what} is larger than the {MediaTypes.MaxManifestBytes / (1024 * 1024)} MiB manifest limit"));
        }

        if (response.Content.Headers.ContentLength is long declared && declared != bytes.Length)
        {
            throw new UpstreamException(502, new OciError(OciErrorCodes.ManifestInvalid, $"{what} was truncated: {bytes.Length} of {declared} bytes"));
        }

        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        var claimed = HeaderDigest(response);
        if (claimed is not null && !string.Equals(claimed, digest, StringComparison.Ordinal))
        {
            throw new UpstreamException(502, new OciError(
                OciErrorCodes.ManifestInvalid,
                $"upstream's Docker-Content-Digest {claimed} does not match the bytes it sent for {what} ({digest}); nothing was served or pinned"));
        }

        // Only a manifest of a served type leaves the manifest route, under that type alone.
        if (!ManifestCheck.TryAccept(DeclaredType(response), bytes, out var mediaType, out var problem))
        {
            throw new UpstreamException(502, new OciError(OciErrorCodes.ManifestInvalid, $"{what} is not a manifest: {problem}; nothing was served or pinned"));
        }

        return new UpstreamManifest(bytes, mediaType, digest, bytes.Length, response.RequestMessage?.RequestUri ?? _client.UrlFor(name, suffix));
    }

    /// <summary>HEAD: the digest and type come from upstream's headers; without a digest, or with a type that is not a served manifest type, from a full GET.</summary>
    public async Task<UpstreamManifest> HeadAsync(ImageName name, string reference, CancellationToken cancellationToken)
    {
        var suffix = "manifests/" + reference;
        using (var exchange = await _client.SendAsync(name, HttpMethod.Head, suffix, AcceptManifests, cancellationToken))
        {
            var response = exchange.Response;
            if (!response.IsSuccessStatusCode)
            {
                throw UpstreamErrors.FromStatus(response, OciErrorCodes.ManifestUnknown, $"manifest {name.Registry}/{name.Repository}:{reference}");
            }

            var claimed = HeaderDigest(response);
            if (claimed is not null && Digest.TryParse(claimed, out _, out _) && response.Content.Headers.ContentLength is long length
                && ManifestCheck.ServedType(DeclaredType(response)) is { } mediaType)
            {
                return new UpstreamManifest(null, mediaType, claimed, length, response.RequestMessage?.RequestUri ?? _client.UrlFor(name, suffix));
            }
        }

        return await GetAsync(name, reference, cancellationToken);
    }

    /// <summary>Where a manifest reference resolves upstream.</summary>
    public Uri UrlFor(ImageName name, string reference) => _client.UrlFor(name, "manifests/" + reference);

    private static void AcceptManifests(HttpRequestMessage request) =>
        request.Headers.TryAddWithoutValidation("Accept", MediaTypes.ManifestAccept);

    private static string? HeaderDigest(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault()?.Trim() : null;

    /// <summary>The Content-Type as upstream wrote it, unparsed: the check judges it, not the header parser.</summary>
    private static string? DeclaredType(HttpResponseMessage response) =>
        response.Content.Headers.NonValidated.TryGetValues("Content-Type", out var values) ? values.ToString() : null;
}
