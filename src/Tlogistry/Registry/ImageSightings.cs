using Tlogistry.Oci;
using Tlogistry.Store;

namespace Tlogistry.Registry;

/// <summary>The recorded sightings of one image's tags (or of one tag), as the bundle export and the history page list them.</summary>
internal static class ImageSightings
{
    public static async Task<IReadOnlyList<Sighting>> ListAsync(ISightingIndex index, ImageSelector selector, CancellationToken cancellationToken) =>
        [.. (await index.ListRepositoryAsync(selector.Repository, cancellationToken)).Where(s => selector.Selects(s.Reference))];

    /// <summary>The 404 error for a selector with no sighting: an unknown repository, or an unknown tag.</summary>
    public static OciError Missing(ImageSelector selector) =>
        selector.Tag is null
            ? new OciError(OciErrorCodes.NameUnknown, $"no sighting of any tag of {selector.Repository} is recorded")
            : new OciError(OciErrorCodes.ManifestUnknown, $"no sighting of {selector.Reference} is recorded");
}
