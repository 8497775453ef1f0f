namespace Tlogistry.Moves.Notify;

/// <summary>What one POST's answer means for the event it carried.</summary>
internal enum AttemptVerdict
{
    /// <summary>2xx: the receiver has it.</summary>
    Delivered,

    /// <summary>No answer (connection failed, timed out), 408, 429 or 5xx: worth another try.</summary>
    Transient,

    /// <summary>Any other status (4xx, or a redirect, which is not followed): the same POST would fail again.</summary>
    Permanent,
}

/// <summary>
/// The retry decisions of webhook delivery, without I/O or clocks: callers pass the attempt
/// number, the time spent and a jitter draw, so every decision can be checked exactly.
/// </summary>
internal static class RetryPolicy
{
    /// <summary>The verdict on a status code; null is no answer at all.</summary>
    public static AttemptVerdict Classify(int? status) => status switch
    {
        null => AttemptVerdict.Transient,
        >= 200 and < 300 => AttemptVerdict.Delivered,
        408 or 429 or >= 500 => AttemptVerdict.Transient,
        _ => AttemptVerdict.Permanent,
    };

    /// <summary>
    /// Exponential backoff with jitter before retry <paramref name="retry"/> (1 for the first):
    /// a uniform draw between half and all of <c>FirstBackoff·2^(retry−1)</c>, capped at
    /// <c>MaxBackoff</c>, so replicas failing together do not retry together.
    /// </summary>
    public static TimeSpan Backoff(int retry, DeliverySettings settings, double jitter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);
        var exponent = Math.Min(retry - 1, 30);
        var ceiling = Math.Min(settings.FirstBackoff.TotalMilliseconds * Math.Pow(2, exponent), settings.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (0.5 * Math.Clamp(jitter, 0, 1))));
    }

    /// <summary>
    /// The wait before the next POST after <paramref name="attempts"/> transient failures, or
    /// null to give up: attempts are used up, or the wait would end past the total time bound.
    /// A receiver's <c>Retry-After</c> wins over the backoff, cut to <c>MaxRetryAfter</c>.
    /// </summary>
    public static TimeSpan? NextWait(int attempts, TimeSpan? retryAfter, TimeSpan elapsed, DeliverySettings settings, double jitter)
    {
        if (attempts >= settings.MaxAttempts)
        {
            return null;
        }

        var wait = retryAfter is { } asked && asked > TimeSpan.Zero
            ? (asked < settings.MaxRetryAfter ? asked : settings.MaxRetryAfter)
            : Backoff(attempts, settings, jitter);
        return elapsed + wait < settings.MaxTotal ? wait : null;
    }
}
