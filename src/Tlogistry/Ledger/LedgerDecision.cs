using Tlogistry.Store;

namespace Tlogistry.Ledger;

internal enum PinOutcome
{
    /// <summary>No pin existed; this request recorded one.</summary>
    FirstSeen,

    /// <summary>The tag is pinned to the digest that was observed.</summary>
    Match,

    /// <summary>The tag is pinned to another digest.</summary>
    Mismatch,
}

/// <summary>What the ledger says of one observation: the outcome and the pin it was judged by.</summary>
internal sealed record LedgerDecision(PinOutcome Outcome, Sighting Pin)
{
    /// <summary>Match or Mismatch: the observation compared with a pin that already stood.</summary>
    public static LedgerDecision Compare(Sighting pin, Observation observed) =>
        new(pin.Digest == observed.Digest ? PinOutcome.Match : PinOutcome.Mismatch, pin);
}
