namespace Tlogistry.Upstream;

/// <summary>
/// How long upstream may take over one exchange (every round trip a request makes, headers and
/// body): <see cref="Allowance"/> in all, plus, for a blob, one second for every
/// <see cref="MinBytesPerSecond"/> bytes it has delivered. A manifest, token or tag list must be
/// done within the allowance; a blob of any size may stream for as long as it keeps that
/// average rate, and a body that drips slower runs out of time. Pure: the caller measures.
/// </summary>
internal readonly record struct ExchangeBudget(TimeSpan Allowance, long MinBytesPerSecond)
{
    /// <summary>A fixed allowance that bytes do not extend.</summary>
    public static ExchangeBudget Fixed(TimeSpan allowance) => new(allowance, 0);

    /// <summary>Time left after upstream has taken <paramref name="spent"/> and sent <paramref name="received"/> body bytes; zero or less means none.</summary>
    public TimeSpan Remaining(TimeSpan spent, long received) =>
        Allowance - spent + (MinBytesPerSecond > 0 ? TimeSpan.FromSeconds((double)received / MinBytesPerSecond) : TimeSpan.Zero);

    /// <summary>What the budget is, for an error message.</summary>
    public string Describe() => MinBytesPerSecond > 0
        ? $"the {Allowance.TotalSeconds:0} s exchange deadline plus 1 s per {MinBytesPerSecond} bytes received"
        : $"the {Allowance.TotalSeconds:0} s exchange deadline";
}
