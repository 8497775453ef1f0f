using System.Collections.Concurrent;
using Tlogistry.Oci;
using Tlogistry.Store;

namespace Tlogistry.Ledger;

/// <summary>
/// Pins already verified against the log, by tag reference, so a warm tag asks neither the
/// store nor the log. Bounded: when full it starts over, since any pin can be read and
/// verified again from the store and the log.
/// </summary>
internal sealed class VerifiedPins
{
    public const int Capacity = 100_000;

    private readonly ConcurrentDictionary<TagReference, Sighting> _pins = new();

    public bool TryGet(TagReference reference, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Sighting? pin) =>
        _pins.TryGetValue(reference, out pin);

    public void Remember(Sighting pin)
    {
        if (_pins.Count >= Capacity)
        {
            _pins.Clear();
        }

        _pins[pin.Reference] = pin;
    }

    public void Forget(TagReference reference) => _pins.TryRemove(reference, out _);
}
