namespace Tlogistry.Moves.Notify;

/// <summary>
/// The bounds of webhook delivery. Every one is finite, so a dead or slow receiver costs a
/// known amount of memory and time and never reaches the pull that saw the move.
/// </summary>
internal sealed record DeliverySettings
{
    /// <summary>Events waiting to be sent; past this, new events are dropped (and counted).</summary>
    public int QueueCapacity { get; init; } = 1000;

    /// <summary>One POST, connecting included.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>POSTs of one event to one URL, the first included.</summary>
    public int MaxAttempts { get; init; } = 8;

    /// <summary>From the first POST of an event to one URL to giving up on it, waits included.</summary>
    public TimeSpan MaxTotal { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The wait before the first retry; each further retry doubles it, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan FirstBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest <c>Retry-After</c> honoured; a longer one is cut to this.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long stopping the service waits for queued events to be sent.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Bytes of a response body the client may drain to keep its connection; the rest is never read.</summary>
    public int MaxResponseDrainBytes { get; init; } = 4 * 1024;

    public static DeliverySettings Default { get; } = new();
}
