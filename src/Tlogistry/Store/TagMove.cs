using Tlogistry.Oci;

namespace Tlogistry.Store;

/// <summary>
/// One observed move: upstream answered <see cref="Tag"/> with <see cref="Upstream"/> while the
/// tag is pinned to <see cref="Pinned"/> by log entry <see cref="PinLogIndex"/>. An observation
/// made by this proxy, not a signed claim: it contradicts the signed sighting it names.
/// </summary>
internal sealed record TagMove(
    TagReference Tag,
    Digest Pinned,
    Digest Upstream,
    long PinLogIndex,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    long Refusals,
    long PinnedServes)
{
    /// <summary>The registry host the tag lives on, as canonical references spell it.</summary>
    public RegistryHost Registry => Tag.Name.Registry;
}

/// <summary>What the proxy answered when it saw a move.</summary>
internal enum MoveAnswer
{
    /// <summary>The pull was refused (409).</summary>
    Refused,

    /// <summary>The pinned manifest was served in place of upstream's (<c>serve-pinned</c>).</summary>
    ServedPinned,
}

/// <summary>The result of noting one observation: the move as now recorded, and whether this was its first sighting anywhere.</summary>
internal sealed record MoveObservation(TagMove Move, bool FirstSeen);

/// <summary>
/// A page of moves, newest first by <see cref="TagMove.LastSeen"/>. Filters are optional;
/// <see cref="After"/> is the opaque cursor a previous page returned.
/// </summary>
internal sealed record MoveQuery(string? Registry, string? Image, DateTimeOffset? Since, string? After, int Limit);

/// <summary>One page of moves and the cursor of the next page, or null at the end.</summary>
internal sealed record MovePage(IReadOnlyList<TagMove> Moves, string? Next);
