using Tlogistry.Oci;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Store;

/// <summary>
/// One recorded observation: this instance saw <see cref="Reference"/> resolve to
/// <see cref="Digest"/>. <see cref="Bundle"/> is the signed envelope with its log entry and
/// proofs, exactly as published; everything else is a readable copy of what it says.
/// </summary>
internal sealed record Sighting(
    TagReference Reference,
    Digest Digest,
    string MediaType,
    DateTimeOffset ObservedAt,
    string Upstream,
    string Identity,
    SigstoreBundle Bundle)
{
    public long LogIndex => Bundle.Entry.LogIndex;

    /// <summary>
    /// When the log integrated the entry, only when something the log signed says so (its
    /// signed entry timestamp, or the embedded leaf under the inclusion proof); null otherwise,
    /// whatever the entry's unsigned <c>integratedTime</c> field holds. Set by the reader that verified it.
    /// </summary>
    public DateTimeOffset? LogTime { get; init; }

    public string LogId => Convert.ToHexStringLower(Bundle.Entry.LogId);

    /// <summary>The entry's UUID as Rekor names it: the hex RFC 6962 leaf hash of its body.</summary>
    /// <remarks>Hashed once here: a warm pin answers it in a header on every request.</remarks>
    public string Uuid { get; } = Convert.ToHexStringLower(Transparency.Merkle.Rfc6962.LeafHash(Bundle.Entry.CanonicalizedBody));
}
