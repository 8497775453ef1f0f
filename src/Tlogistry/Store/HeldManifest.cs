using Tlogistry.Oci;

namespace Tlogistry.Store;

/// <summary>
/// A tag's pinned manifest as stored beside its sighting: the bytes, their media type, and the
/// digest they were pinned under. Nothing here is trusted: a reader hashes the bytes against the pin.
/// </summary>
internal sealed record HeldManifest(TagReference Reference, Digest Digest, string MediaType, byte[] Bytes);
