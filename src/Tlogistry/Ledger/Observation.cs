using Tlogistry.Oci;

namespace Tlogistry.Ledger;

/// <summary>What the proxy saw upstream for a tag.</summary>
internal sealed record Observation(TagReference Reference, Digest Digest, string MediaType, string Upstream);
