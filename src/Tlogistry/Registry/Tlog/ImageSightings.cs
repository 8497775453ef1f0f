using Tlogistry.Oci;
using Tlogistry.Store;

namespace Tlogistry.Registry.Tlog;

/// <summary>
/// One page of an image's sightings: the page, whether the image (or tag) has any sighting at
/// all, the tag the next page starts after (null at the end), and how many tags the image has
/// when that was asked for (null otherwise).
/// </summary>
internal sealed record ImageSightingPage(IReadOnlyList<Sighting> Sightings, bool Known, string? NextAfter, long? Total = null);

/// <summary>The recorded sightings of one image's tags (or of one tag), as the bundle export and the history page list them.</summary>
internal static class ImageSightings
{
    /// <summary>
    /// The sightings of <paramref name="page"/>, in the store's byte order of tags: one keyset
    /// query of at most <see cref="ListingPage.Limit"/> + 1 rows, and for a page past the end
    /// one more of a single row (does the image exist at all), whatever the repository's size.
    /// </summary>
    /// <param name="count">Whether to count the image's tags too (an index-only count, for a page that says "n of N").</param>
    public static async Task<ImageSightingPage> PageAsync(ISightingIndex index, ImageSelector selector, ListingPage page, CancellationToken cancellationToken, bool count = false)
    {
        if (selector.Tag is not null)
        {
            var pin = await index.FindAsync(selector.Reference!, cancellationToken);
            var shown = pin is not null && (page.After is null || string.CompareOrdinal(pin.Reference.Tag, page.After) > 0) ? new[] { pin } : [];
            return new ImageSightingPage(shown, pin is not null, null, pin is null ? 0 : 1);
        }

        var found = await index.ListRepositoryPageAsync(selector.Name, page.After, page.Limit, cancellationToken);
        var known = found.Sightings.Count > 0
            || (page.After is not null && (await index.ListRepositoryPageAsync(selector.Name, null, 1, cancellationToken)).Sightings.Count > 0);
        return new ImageSightingPage(found.Sightings, known, found.NextAfter, count && known ? await index.CountRepositoryAsync(selector.Name, cancellationToken) : null);
    }

    /// <summary>The 404 error for a selector with no sighting: an unknown repository, or an unknown tag.</summary>
    public static OciError Missing(ImageSelector selector) =>
        selector.Tag is null
            ? new OciError(OciErrorCodes.NameUnknown, $"no sighting of any tag of {selector.Name.Canonical} is recorded")
            : new OciError(OciErrorCodes.ManifestUnknown, $"no sighting of {selector.Reference} is recorded");
}
