namespace Tlogistry.Ledger;

/// <summary>What the proxy saw upstream for a tag.</summary>
internal sealed record Observation(string Reference, string Digest, string MediaType, string Upstream);
