using System.Globalization;
using Tlogistry.Http;
using Tlogistry.Oci;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Sigstore;
using Tlogistry.Transparency.Witness;

namespace Tlogistry.Client.Verify;

/// <summary>What <c>tlogistry verify</c> was asked.</summary>
/// <param name="Image">NAME:TAG as typed.</param>
/// <param name="Digest">The digest the tag must be pinned to, or null.</param>
/// <param name="BundleFile">A bundle file to check instead of asking the proxy.</param>
/// <param name="LogUrl">Where to read the log's current checkpoint, instead of the URL the trusted root gives.</param>
/// <param name="StateDir">The checkpoint cache; null for the default.</param>
internal sealed record VerifyRequest(string Image, string? Digest, string? BundleFile, Uri Proxy, TrustFlags Trust, Uri? LogUrl, string? StateDir);

/// <summary>
/// <c>tlogistry verify IMAGE:TAG</c>: checks a tag's sighting trusting neither the proxy nor the
/// log's API. The bundle (from the proxy or a file) must pass <see cref="SightingCheck"/>; then
/// the log's current checkpoint, signed by the pinned log key, must extend both the checkpoint
/// the inclusion proof led to and the last one this client accepted (<see cref="LogWitness"/>),
/// which it replaces.
/// </summary>
internal static class TagVerification
{
    /// <summary>Returns the one-line summary; every failure is a <see cref="ClientException"/> with its reason.</summary>
    public static async Task<string> RunAsync(VerifyRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!TagReference.TryParse(request.Image, out var reference, out var error))
        {
            throw new ClientException(error.Message);
        }

        Digest? digest = null;
        if (request.Digest is { } text)
        {
            digest = Digest.TryParse(text, out var parsed, out var bad) ? parsed : throw new ClientException("--digest: " + bad.Message);
        }

        var trust = ClientTrust.FromFlags(request.Trust);
        var bundle = request.BundleFile is { } file ? ReadBundle(file) : await FetchBundleAsync(request, cancellationToken);
        var checkedSighting = SightingCheck.Run(trust, bundle, reference, digest);

        var url = request.LogUrl ?? LogSources.UrlOf(checkedSighting.Log) ?? request.Proxy;
        using var http = request.Trust.LoadServerCertificates().JsonClient();
        var source = LogSources.For(checkedSighting.Log, url, http);
        var witness = new LogWitness(new CheckpointCache(request.StateDir ?? CheckpointCache.DefaultDirectory()));
        WitnessedCheckpoint seen;
        try
        {
            seen = await witness.CheckAsync(checkedSighting.Log, source, checkedSighting.Checkpoint, cancellationToken);
        }
        catch (LogConsistencyException e)
        {
            throw new ClientException("log consistency check failed: " + e.Message, e);
        }
        catch (LogVerificationException e)
        {
            throw new ClientException(e.Message, e);
        }
        catch (Exception e) when (e is LogUnavailableException or FormatException)
        {
            throw new ClientException($"cannot check the log at {url} (its current checkpoint and consistency proofs): {e.Message}", e);
        }

        var sighting = checkedSighting.Sighting;
        var before = seen.Previous is { } previous
            ? string.Create(CultureInfo.InvariantCulture, $"consistent with size {previous.Size} seen before")
            : "first checkpoint of this log, cached";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"verified {sighting.Reference} {sighting.Digest}: log index {sighting.LogIndex} of {seen.Current.Origin}, tree size {seen.Current.Size} ({before}); signed by {sighting.Identity}");
    }

    private static SigstoreBundle ReadBundle(string path)
    {
        try
        {
            // Editors may save a byte order mark; JSON has none.
            var bytes = File.ReadAllBytes(path);
            return BundleJson.Read(bytes.AsSpan().StartsWith("\uFEFF"u8) ? bytes.AsSpan(3) : bytes);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            throw new ClientException($"--bundle {path}: {e.Message}", e);
        }
    }

    private static async Task<SigstoreBundle> FetchBundleAsync(VerifyRequest request, CancellationToken cancellationToken)
    {
        using var proxy = new ProxyClient(request.Proxy, request.Trust.LoadServerCertificates());
        return await proxy.BundleAsync(request.Image, cancellationToken);
    }
}
