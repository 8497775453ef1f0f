using Tlogistry.Oci;
using Tlogistry.Store;

namespace Tlogistry.Web;

/// <summary>Where a recorded tag stands now.</summary>
internal enum TagState
{
    /// <summary>Upstream has answered only the recorded digest: pulls are checked against it.</summary>
    Pinned,

    /// <summary>Upstream answered another digest since: this proxy refused it or served the pinned manifest.</summary>
    MovedUpstream,

    /// <summary>The tag policy now treats the tag as mutable: pulls get what upstream has, unchecked.</summary>
    Mutable,
}

/// <summary>
/// A tag's state as the history page shows it, from the tag policy and this proxy's record of
/// moves. Pure. A tag the policy now calls mutable is not held to its sighting, whatever moved;
/// otherwise the newest move away from the recorded digest marks it moved.
/// </summary>
internal sealed record TagStatus(TagState State, TagMove? Move)
{
    public string Label => State switch
    {
        TagState.MovedUpstream => "moved upstream",
        TagState.Mutable => "mutable",
        _ => "pinned",
    };

    public static TagStatus Of(bool mutable, TagReference tag, Digest pinned, IEnumerable<TagMove> moves)
    {
        if (mutable)
        {
            return new TagStatus(TagState.Mutable, null);
        }

        var move = moves.Where(m => m.Tag == tag && m.Pinned == pinned).MaxBy(m => m.LastSeen);
        return move is null ? new TagStatus(TagState.Pinned, null) : new TagStatus(TagState.MovedUpstream, move);
    }
}
