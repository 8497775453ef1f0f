using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Tlogistry.Caching;
using Tlogistry.Ledger;
using Tlogistry.Oci;
using Tlogistry.Store;
using Tlogistry.Upstream;

namespace Tlogistry.Registry.Tags;

/// <summary>
/// Pinned manifests held in the store, and when each tag was last confirmed upstream: what lets
/// a pinned tag be answered without upstream, inside the revalidation window or while upstream
/// fails to answer. Held bytes are served only when their SHA-256 is the pin's digest, checked
/// on every read, so a row altered in the store is never served.
/// </summary>
internal sealed class HeldPins
{
    private readonly IHeldManifests _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    /// <summary>
    /// The bytes each of the two maps below holds at most (about 25,000 tags of typical length):
    /// a tag forgotten costs only one more question upstream, or one more write.
    /// </summary>
    public const long DefaultCapacityBytes = 8L * 1024 * 1024;

    // When each tag was last confirmed upstream, in this process's memory (each replica keeps its own).
    private readonly ByteBoundedCache<TagReference, DateTimeOffset> _confirmed;

    // What this process already wrote (or offered to a full store), so a warm tag costs the store
    // at most one write per pin, not one per pull; a tag forgotten here costs one read to learn it is held.
    private readonly ByteBoundedCache<TagReference, Digest> _written;

    /// <summary>
    /// How long a refusal for the bound stands: a manifest at least as large as one the full
    /// store refused is not offered again until then, so a store at its bound costs a warm pull
    /// of an unheld tag no write attempt (the bytes held change only as pins are replaced).
    /// </summary>
    public static readonly TimeSpan RefusalStands = TimeSpan.FromMinutes(1);

    // The smallest manifest the store last refused for its bound, and until when that holds.
    private Refusal? _refused;

    // Tags whose held row was read and rejected (held for an earlier pin, or bytes that do not
    // hash): a standing refusal never keeps such a row from being written over, since the
    // bound counts a tag's own row as room for its replacement.
    private readonly ByteBoundedCache<TagReference, bool> _rejected;

    public HeldPins(IHeldManifests store, HeldPinSettings settings, TimeProvider time, ILogger logger, long capacityBytes = DefaultCapacityBytes)
    {
        _confirmed = new ByteBoundedCache<TagReference, DateTimeOffset>(capacityBytes, static (reference, _) => PinBytes.Of(reference) + 16);
        _written = new ByteBoundedCache<TagReference, Digest>(capacityBytes, static (reference, digest) => PinBytes.Of(reference) + MemorySize.Object + MemorySize.Of(digest.Hex) + MemorySize.Of(digest.Algorithm));
        _rejected = new ByteBoundedCache<TagReference, bool>(capacityBytes / 8, static (reference, _) => PinBytes.Of(reference) + 8);
        _store = store;
        Settings = settings;
        _time = time;
        _logger = logger;
    }

    public HeldPinSettings Settings { get; }

    /// <summary>Bytes the maps of tags hold now (two of at most <see cref="DefaultCapacityBytes"/> each, and one of an eighth of that, unless set otherwise).</summary>
    public long HeldBytes => _confirmed.HeldBytes + _written.HeldBytes + _rejected.HeldBytes;

    /// <summary>
    /// Upstream just served the pinned digest for the tag: the confirmation time restarts, and
    /// the bytes (when read) are held. A store that cannot take them costs the pull nothing.
    /// <paramref name="firstSeen"/>: the pin was recorded by this very pull, so the store cannot hold its bytes yet.
    /// </summary>
    public async Task ConfirmedAsync(TagReference reference, Store.Sighting pin, UpstreamManifest manifest, CancellationToken ct, bool firstSeen = false)
    {
        if (!string.Equals(manifest.Digest, pin.Digest.ToString(), StringComparison.Ordinal))
        {
            return;
        }

        var now = _time.GetUtcNow();
        _confirmed.Set(reference, now);
        var offered = _written.TryGet(reference, out var written);
        if (Settings.MaxBytes == 0 || manifest.Bytes is null || (offered && written == pin.Digest))
        {
            return;
        }

        // A tag that may have a row of its own (written or offered for another pin, or rejected
        // when read) is always offered: its own row is room for it.
        if (_refused is { } refused && now < refused.Until && manifest.Bytes.Length >= refused.Size
            && !offered && !_rejected.TryGet(reference, out _))
        {
            return;
        }

        try
        {
            // Remembered held or refused (the bound reached): either way this pin is not written again by this process.
            if (!await _store.HoldManifestAsync(new HeldManifest(reference, pin.Digest, manifest.MediaType, manifest.Bytes), Settings.MaxBytes, ct, mayBeHeld: !firstSeen))
            {
                _refused = _refused is { } earlier && now < earlier.Until && earlier.Size < manifest.Bytes.Length
                    ? earlier
                    : new Refusal(manifest.Bytes.Length, now + RefusalStands);
            }
            else
            {
                _rejected.Remove(reference);
            }

            _written.Set(reference, pin.Digest);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            RegistryLog.HeldManifestUnavailable(_logger, reference.Canonical, e.Message);
        }
    }

    /// <summary>Whether the tag was confirmed upstream within the revalidation window (never, with a window of 0).</summary>
    public bool Fresh(TagReference reference) =>
        Settings.RevalidateAfter > TimeSpan.Zero
        && _confirmed.TryGet(reference, out var at)
        && _time.GetUtcNow() - at < Settings.RevalidateAfter;

    /// <summary>The tag's held manifest if its bytes hash to <paramref name="pin"/>'s digest; otherwise null.</summary>
    public async Task<UpstreamManifest?> ReadAsync(TagReference reference, Store.Sighting pin, Uri url, CancellationToken ct) =>
        await FindAsync(reference, ct) is { } held ? Verify(held, pin, url) : null;

    /// <summary>The row held for the tag, unverified; null when none is held or the store cannot say.</summary>
    public async Task<HeldManifest?> FindAsync(TagReference reference, CancellationToken ct)
    {
        if (Settings.MaxBytes == 0)
        {
            return null;
        }

        try
        {
            return await _store.FindHeldManifestAsync(reference, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            RegistryLog.HeldManifestUnavailable(_logger, reference.Canonical, e.Message);
            return null;
        }
    }

    /// <summary>
    /// <paramref name="held"/> as a manifest to serve, if it was held for <paramref name="pin"/>
    /// and its bytes hash to the pin's digest and parse as a manifest of a served type; otherwise null.
    /// </summary>
    public UpstreamManifest? Verify(HeldManifest held, Store.Sighting pin, Uri url)
    {
        var reference = held.Reference;
        if (held.Digest != pin.Digest)
        {
            // Held for an earlier pin (replaced at the next confirmation).
            _rejected.Set(reference, true);
            return null;
        }

        var actual = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(held.Bytes));
        if (!string.Equals(actual, pin.Digest.ToString(), StringComparison.Ordinal))
        {
            _written.Remove(reference);
            _rejected.Set(reference, true);
            RegistryLog.HeldManifestRejected(_logger, reference.Canonical, $"its bytes hash to {actual}, the pin is {pin.Digest}");
            return null;
        }

        if (!ManifestCheck.TryAccept(held.MediaType, held.Bytes, out var mediaType, out var problem))
        {
            _written.Remove(reference);
            _rejected.Set(reference, true);
            RegistryLog.HeldManifestRejected(_logger, reference.Canonical, problem);
            return null;
        }

        // The store holds this pin's manifest: a confirmation need not ask it again.
        _written.Set(reference, pin.Digest);
        return new UpstreamManifest(held.Bytes, mediaType, actual, held.Bytes.Length, url);
    }

    private sealed record Refusal(long Size, DateTimeOffset Until);
}
