using Tlogistry.Store;

namespace Tlogistry.Moves;

/// <summary>
/// Told once per move, the first time any replica records it. Must not block: the pull that saw
/// the move is waiting. Delivery (and its failures) is the announcer's own business.
/// </summary>
internal interface IMoveAnnouncer
{
    void Announce(TagMove move);
}
