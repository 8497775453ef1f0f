using Tlogistry.Caching;
using Tlogistry.Oci;
using Tlogistry.Store;

namespace Tlogistry.Ledger;

/// <summary>
/// Pins already verified against the log, by tag reference, so a warm tag asks neither the
/// store nor the log. Bounded by bytes (<see cref="DefaultCapacityBytes"/>): when full, the
/// tags least recently pulled go first, and such a tag's next pull reads and verifies its pin
/// again from the store, verified in full unless its row is one <see cref="Rows"/> holds.
/// </summary>
internal sealed class VerifiedPins
{
    /// <summary>
    /// About 5,000 pins signed by a key, or 1,500 keyless pins with their certificates: the hot
    /// tags. The rest are read from the store, trusted by <see cref="VerifiedRows"/>.
    /// </summary>
    public const long DefaultCapacityBytes = 16L * 1024 * 1024;

    private readonly ByteBoundedCache<TagReference, Sighting> _pins;

    public VerifiedPins(long capacityBytes = DefaultCapacityBytes, long rowCapacityBytes = VerifiedRows.DefaultCapacityBytes)
    {
        _pins = new ByteBoundedCache<TagReference, Sighting>(capacityBytes, static (_, pin) => PinBytes.Of(pin));
        Rows = new VerifiedRows(rowCapacityBytes);
    }

    /// <summary>The stored rows verified, by digest: many more tags than the pins held in full.</summary>
    public VerifiedRows Rows { get; }

    public long CapacityBytes => _pins.CapacityBytes;

    public long HeldBytes => _pins.HeldBytes;

    public int Count => _pins.Count;

    public bool TryGet(TagReference reference, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Sighting? pin) =>
        _pins.TryGet(reference, out pin);

    public void Remember(Sighting pin) => _pins.Set(pin.Reference, pin);

    public void Forget(TagReference reference)
    {
        _pins.Remove(reference);
        Rows.Forget(reference);
    }
}
