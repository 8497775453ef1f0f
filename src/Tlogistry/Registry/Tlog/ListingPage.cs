using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Tlogistry.Oci;

namespace Tlogistry.Registry.Tlog;

/// <summary>
/// Which page of an image's sightings a request asks for: those whose tag sorts after
/// <see cref="After"/> (byte order, as the store lists them), at most <see cref="Limit"/> of
/// them. Every listing the proxy builds from its store is answered a page at a time, so no
/// request makes it read out, verify or send a whole repository at once.
/// </summary>
internal sealed record ListingPage(string? After, int Limit)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    /// <summary>Reads <c>after</c> (a tag) and <c>limit</c> (1 to <paramref name="max"/>, else <paramref name="fallback"/>).</summary>
    public static bool TryParse(string? after, string? limit, int fallback, int max, [NotNullWhen(true)] out ListingPage? page, [NotNullWhen(false)] out OciError? error)
    {
        page = null;
        error = null;
        if (!string.IsNullOrEmpty(after) && !Tag.IsValid(after))
        {
            error = new OciError(DistributionErrorCodes.PaginationNumberInvalid, "after must be the last tag of a previous page");
            return false;
        }

        var size = fallback;
        if (!string.IsNullOrEmpty(limit) && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size < 1 || size > max))
        {
            error = new OciError(DistributionErrorCodes.PaginationNumberInvalid, $"limit must be 1 to {max}");
            return false;
        }

        page = new ListingPage(string.IsNullOrEmpty(after) ? null : after, size);
        return true;
    }

    /// <summary>The query of the page after this one, which starts after <paramref name="lastTag"/>.</summary>
    public string NextQuery(string image, string lastTag) =>
        string.Create(CultureInfo.InvariantCulture, $"image={Uri.EscapeDataString(image)}&after={Uri.EscapeDataString(lastTag)}&limit={Limit}");
}
