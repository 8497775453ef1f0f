using Tlogistry.Oci;
using Tlogistry.Store;

namespace Tlogistry.Registry.Tlog;

/// <summary>One page of an image's sightings: the page, how many the image has in all, and the tag the next page starts after (null at the end).</summary>
internal sealed record ImageSightingPage(IReadOnlyList<Sighting> Sightings, int Total, string? NextAfter);

/// <summary>The recorded sightings of one image's tags (or of one tag), as the bundle export and the history page list them.</summary>
internal static class ImageSightings
{
    /// <summary>The sightings of <paramref name="page"/>, in the store's byte order of references (for one repository, of tags).</summary>
    public static async Task<ImageSightingPage> PageAsync(ISightingIndex index, ImageSelector selector, ListingPage page, CancellationToken cancellationToken)
    {
        var all = (await index.ListRepositoryAsync(selector.Name, cancellationToken)).Where(s => selector.Selects(s.Reference)).ToList();
        var start = page.After is { } after ? selector.Name.Canonical + ":" + after : null;
        var rest = start is null ? all : all.Where(s => string.CompareOrdinal(s.Reference.Canonical, start) > 0).ToList();
        var shown = rest.Take(page.Limit).ToList();
        var next = rest.Count > shown.Count ? TagOf(shown[^1]) : null;
        return new ImageSightingPage(shown, all.Count, next);
    }

    /// <summary>The 404 error for a selector with no sighting: an unknown repository, or an unknown tag.</summary>
    public static OciError Missing(ImageSelector selector) =>
        selector.Tag is null
            ? new OciError(OciErrorCodes.NameUnknown, $"no sighting of any tag of {selector.Name.Canonical} is recorded")
            : new OciError(OciErrorCodes.ManifestUnknown, $"no sighting of {selector.Reference} is recorded");

    private static string TagOf(Sighting sighting) => sighting.Reference.Tag;
}
