namespace Tlogistry.Http;

/// <summary>
/// How patiently <see cref="JsonHttp"/> talks to a service. The property defaults suit the
/// public-good Rekor instances (bound from <c>Tlogistry:Rekor</c>); <see cref="ForKeyless"/>
/// gives the ones of the keyless endpoints (Fulcio, token sources).
/// </summary>
internal sealed class JsonHttpOptions
{
    /// <summary>One attempt, headers and body together; a service that takes longer is treated as down.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts in all, the first included.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>First back-off delay; later ones grow exponentially, with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>A Retry-After longer than this is not waited for: the service counts as unavailable.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest answer read; Rekor entries are a few KiB, search answers a few hundred.</summary>
    public int MaxResponseBytes { get; set; } = 4 << 20;

    /// <summary>The defaults for a Rekor log.</summary>
    public static JsonHttpOptions ForRekor() => new();

    /// <summary>The defaults for Fulcio and the identity token endpoints: small answers, quicker retries.</summary>
    public static JsonHttpOptions ForKeyless(TimeSpan? requestTimeout = null) => new()
    {
        RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(30),
        RetryDelay = TimeSpan.FromMilliseconds(250),
        MaxResponseBytes = 256 * 1024,
    };
}
