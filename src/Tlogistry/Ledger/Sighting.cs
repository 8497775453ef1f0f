using Tlogistry.Transparency;

namespace Tlogistry.Ledger;

/// <summary>
/// One recorded observation: this instance saw <see cref="Reference"/> resolve to
/// <see cref="Digest"/>. <see cref="Envelope"/> is the signed DSSE envelope exactly as it
/// went into the log; everything else is a readable copy of what it says.
/// </summary>
internal sealed record Sighting(
    string Reference,
    string Digest,
    string MediaType,
    DateTimeOffset ObservedAt,
    string Upstream,
    string Identity,
    LogEntryRef Entry,
    byte[] Envelope);
