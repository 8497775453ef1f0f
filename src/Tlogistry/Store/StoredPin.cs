using System.Buffers.Binary;
using System.Text;
using Tlogistry.Transparency.Sigstore;

namespace Tlogistry.Store;

/// <summary>
/// Seals a row as it is written: given the row's <see cref="StoredPin.ContentHash"/>, the
/// stamp stored beside it.
/// </summary>
internal delegate byte[] RowSeal(byte[] contentHash);

/// <summary>
/// A sighting as the store holds it, with <paramref name="ContentHash"/>: SHA-256 over every
/// column it was read from, so a reader that verified this very row once can tell it from a row
/// changed since (an edit of any column, the bundle's bytes included, changes it); and the
/// row's <paramref name="Stamp"/>, when one was stored (the store never reads it: whoever
/// made it checks it against the content).
/// </summary>
internal sealed record StoredPin(Sighting Pin, byte[] ContentHash, byte[]? Stamp = null)
{
    /// <summary>
    /// The first 16 bytes of <see cref="ContentHash"/>: enough to tell rows apart in memory,
    /// while a stamp, which a store writer can work on offline, covers all 32.
    /// </summary>
    public UInt128 Content => BinaryPrimitives.ReadUInt128BigEndian(ContentHash);

    /// <summary>SHA-256 over the columns, each length-prefixed.</summary>
    public static byte[] Hash(string reference, string digest, string mediaType, DateTimeOffset observedAt, string upstream, string identity, byte[] bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var ticks = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(ticks, observedAt.UtcTicks);
        return FramedHash.Sha256(Utf8(reference), Utf8(digest), Utf8(mediaType), Utf8(upstream), Utf8(identity), ticks, bundle);
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
