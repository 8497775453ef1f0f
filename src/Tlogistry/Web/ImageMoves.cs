using Tlogistry.Oci;
using Tlogistry.Store;

namespace Tlogistry.Web;

/// <summary>The recorded moves of one image's tags, for marking the rows of its history.</summary>
internal static class ImageMoves
{
    /// <summary>Rows read per page of the record.</summary>
    public const int PageRows = 100;

    /// <summary>Moves read at most for one image: a page of history must not read an unbounded record.</summary>
    public const int MaxRows = 1000;

    /// <summary>The image's moves, newest first, among the newest <see cref="MaxRows"/> rows of the record; none when the proxy keeps no record.</summary>
    public static async Task<IReadOnlyList<TagMove>> OfAsync(ITagMoves? moves, ImageName image, CancellationToken cancellationToken)
    {
        var found = new List<TagMove>();
        if (moves is null)
        {
            return found;
        }

        string? after = null;
        var read = 0;
        do
        {
            var page = await moves.ListMovesAsync(new MoveQuery(image.Registry.Value, image.Canonical, null, after, PageRows), cancellationToken);
            // Filtered here too: the page must not mark a tag of another image, whatever a store matched.
            found.AddRange(page.Moves.Where(m => m.Tag.Name == image));
            after = page.Next;
            read += PageRows;
        }
        while (after is not null && read < MaxRows);

        return found;
    }
}
