namespace Tlogistry.Transparency.Rekor;

/// <summary>How patiently the Rekor clients talk to a log. The defaults suit the public-good instances.</summary>
internal sealed class RekorClientOptions
{
    /// <summary>One attempt, headers and body together; a log that takes longer is treated as down.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts in all, the first included.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>First back-off delay; later ones grow exponentially, with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>A Retry-After longer than this is not waited for: the log counts as unavailable.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest JSON answer read; entries are a few KiB, search answers a few hundred.</summary>
    public int MaxResponseBytes { get; set; } = 4 << 20;
}
