using Tlogistry.Oci;

namespace Tlogistry.Store;

/// <summary>
/// Pinned manifests kept durably, one per tag, so a tag can be answered while upstream is down.
/// The total is bounded: a manifest that would take the held bytes over the bound is not kept
/// (what is held stays; a tag's own row may always be replaced by one that fits).
/// </summary>
internal interface IHeldManifests
{
    /// <summary>
    /// Keeps <paramref name="manifest"/> as its tag's held manifest, in place of an earlier one,
    /// unless the bytes held for other tags plus its own would exceed <paramref name="maxTotalBytes"/>.
    /// Returns whether it was kept. With <paramref name="mayBeHeld"/> false (a pin new to the
    /// store) the store writes without first reading for an identical row, which it makes so
    /// that a row already held costs no write lock.
    /// </summary>
    Task<bool> HoldManifestAsync(HeldManifest manifest, long maxTotalBytes, CancellationToken cancellationToken, bool mayBeHeld = true);

    /// <summary>The tag's held manifest as stored (unverified), or null.</summary>
    Task<HeldManifest?> FindHeldManifestAsync(TagReference reference, CancellationToken cancellationToken);
}
