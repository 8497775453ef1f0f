using Tlogistry.Caching;
using Tlogistry.Oci;
using Tlogistry.Store;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Ledger;

/// <summary>
/// What a tag reference or a pin takes in memory, estimated from what it holds (strings,
/// byte arrays, a fixed cost per object), so the caches of pins are bounded by their real
/// size: a bundle with a certificate chain and a long proof costs more than a bare one.
/// </summary>
internal static class PinBytes
{
    private const long ObjectBytes = MemorySize.Object;

    /// <summary>The reference's canonical text, its repository's and its tag's.</summary>
    public static long Of(TagReference reference) =>
        (3 * ObjectBytes) + MemorySize.Of(reference.Canonical)
        + MemorySize.Of(reference.Name.Canonical) + MemorySize.Of(reference.Tag);

    public static long Of(Sighting pin)
    {
        ArgumentNullException.ThrowIfNull(pin);
        var bytes = (4 * ObjectBytes) + Of(pin.Reference) + Text(pin.MediaType) + Text(pin.Upstream) + Text(pin.Identity) + Text(pin.Uuid) + Text(pin.Digest.ToString());
        return bytes + Of(pin.Bundle);
    }

    private static long Of(SigstoreBundle bundle)
    {
        var bytes = 4 * ObjectBytes;
        bytes += Text(bundle.Material.PublicKeyHint) + Arrays(bundle.Material.Certificates) + Arrays(bundle.Material.Rfc3161Timestamps);
        var entry = bundle.Entry;
        bytes += ObjectBytes + Array(entry.LogId) + Text(entry.Kind) + Text(entry.Version) + Array(entry.SignedEntryTimestamp) + Array(entry.CanonicalizedBody);
        if (entry.InclusionProof is { } proof)
        {
            bytes += ObjectBytes + Array(proof.RootHash) + Arrays(proof.Hashes) + Text(proof.Checkpoint);
        }

        if (bundle.Envelope is { } envelope)
        {
            bytes += ObjectBytes + Text(envelope.PayloadType) + Array(envelope.Payload);
            foreach (var signature in envelope.Signatures)
            {
                bytes += ObjectBytes + Text(signature.KeyId) + Array(signature.Signature);
            }
        }

        if (bundle.MessageSignature is { } message)
        {
            bytes += ObjectBytes + Text(message.DigestAlgorithm) + Array(message.Digest) + Array(message.Signature);
        }

        return bytes;
    }

    private static long Text(string? s) => MemorySize.Of(s);

    private static long Array(byte[]? a) => MemorySize.Of(a);

    private static long Arrays(IReadOnlyList<byte[]> arrays) => MemorySize.Of(arrays);
}
