using Microsoft.AspNetCore.Http;
using Tlogistry.Ledger;
using Tlogistry.Oci;
using Tlogistry.Upstream;

namespace Tlogistry.Registry.Tags;

/// <summary>
/// Where the tag flow's manifests come from: the tag as upstream has it now (a HEAD when the
/// pinned bytes are in memory or held in the store), and, for serve-pinned, the pinned manifest by digest.
/// </summary>
internal sealed class TagManifests
{
    private readonly ManifestFetcher _manifests;
    private readonly ManifestCache _manifestCache;
    private readonly TagLedger _ledger;
    private readonly HeldPins _held;

    public TagManifests(ManifestFetcher manifests, ManifestCache manifestCache, TagLedger ledger, HeldPins held)
    {
        _manifests = manifests;
        _manifestCache = manifestCache;
        _ledger = ledger;
        _held = held;
    }

    /// <summary>The tag's headers only (its bytes when upstream names no digest or a type that is not served).</summary>
    public Task<UpstreamManifest> HeadAsync(ImageName name, string tag, CancellationToken ct) => _manifests.HeadAsync(name, tag, ct);

    /// <summary>The tag's bytes as upstream has them now, read whole and hashed.</summary>
    public Task<UpstreamManifest> GetAsync(ImageName name, string tag, CancellationToken ct) => _manifests.GetAsync(name, tag, ct);

    /// <summary>Where upstream serves the manifest <paramref name="reference"/> of <paramref name="name"/>.</summary>
    public Uri UrlFor(ImageName name, string reference) => _manifests.UrlFor(name, reference);

    /// <summary>Kept by digest, so a later pull of the pin or by digest is served from memory.</summary>
    public void Keep(ImageName name, UpstreamManifest manifest) => _manifestCache.Add(name, manifest);

    /// <summary>
    /// GET of a tag: when it has a verified pin whose manifest is in memory or held in the
    /// store (its bytes hashed to the pin when read), a HEAD upstream is enough to see whether
    /// the tag still points there, and the bytes served are those. Any other answer gets a full
    /// GET, so a refusal is always decided on bytes read now. A tag with no pin costs nothing
    /// more here: the store has no held bytes for it, and only a tag with a pin is looked up.
    /// </summary>
    public async Task<UpstreamManifest> FetchWarmAsync(ImageName name, string tag, string reference, CancellationToken ct)
    {
        var pinned = TagReference.Create(name, tag);
        if (await PinnedBytesAsync(name, pinned, ct) is { } held)
        {
            var current = await _manifests.HeadAsync(name, tag, ct);
            if (current.Bytes is null && string.Equals(current.Digest, held.Digest, StringComparison.Ordinal))
            {
                return new UpstreamManifest(held.Bytes!, held.MediaType, held.Digest, held.Bytes!.Length, current.Url);
            }

            // HEAD fell back to a GET (no digest header), or the tag moved: decide on bytes.
            return current.Bytes is not null ? current : await _manifests.GetAsync(name, tag, ct);
        }

        return await _manifests.GetAsync(name, tag, ct);
    }

    /// <summary>The pin's manifest from memory, else from the store's held bytes; null when neither has it.</summary>
    private async Task<UpstreamManifest?> PinnedBytesAsync(ImageName name, TagReference pinned, CancellationToken ct)
    {
        var pin = _ledger.CachedPin(pinned);
        if (pin is not null && _manifestCache.TryGet(name, pin.Digest.ToString(), out var cached))
        {
            return new UpstreamManifest(cached.Bytes, cached.MediaType, cached.Digest, cached.Bytes.Length, _manifests.UrlFor(name, cached.Digest));
        }

        // Asked of the store only for a tag it holds bytes for, so a first sighting reads one row and no pin.
        if (await _held.FindAsync(pinned, ct) is not { } row)
        {
            return null;
        }

        try
        {
            pin ??= await _ledger.FindPinAsync(pinned, ct);
        }
        catch (LedgerUnavailableException)
        {
            // The ledger's answer comes after the full GET, as without held bytes (and with it
            // --on-log-unavailable): this is only a shortcut.
            return null;
        }

        return pin is null ? null : _held.Verify(row, pin, _manifests.UrlFor(name, pin.Digest.ToString()));
    }

    /// <summary>
    /// The pinned manifest of a tag that moved, for serve-pinned: from memory, else read by digest
    /// upstream. Its bytes must hash to the pin; anything else (a registry that dropped it, bytes
    /// that do not hash) is an error, and the moved manifest is never served in its place.
    /// </summary>
    public async Task<UpstreamManifest> FetchPinnedAsync(HttpContext context, ImageName name, string reference, string upstreamDigest, string pinnedDigest, CancellationToken ct)
    {
        if (_manifestCache.TryGet(name, pinnedDigest, out var cached))
        {
            return new UpstreamManifest(cached.Bytes, cached.MediaType, cached.Digest, cached.Bytes.Length, _manifests.UrlFor(name, pinnedDigest));
        }

        var why = $"{reference} now points to {upstreamDigest} upstream; its pinned manifest {pinnedDigest}";
        UpstreamManifest fetched;
        try
        {
            fetched = await _manifests.GetAsync(name, pinnedDigest, ct);
        }
        catch (UpstreamException e)
        {
            // Upstream no longer has the pinned manifest: a gateway failure, not an unknown tag.
            var status = e.Status == 404 ? 502 : e.Status;
            var code = e.Status == 404 ? OciErrorCodes.ManifestUnknown : e.Error.Code;
            throw new UpstreamException(status, new OciError(code, $"{why} could not be read: {e.Error.Message}; nothing was served"), e.RetryAfter, e) { UpstreamStatus = e.UpstreamStatus };
        }

        RequestOutcome.SetUpstreamStatus(context, 200);
        if (!string.Equals(fetched.Digest, pinnedDigest, StringComparison.Ordinal))
        {
            throw new UpstreamException(502, new OciError(
                OciErrorCodes.ManifestInvalid,
                $"{why} was answered with bytes whose digest is {fetched.Digest}; nothing was served"));
        }

        _manifestCache.Add(name, fetched);
        return fetched;
    }
}
