using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Tlogistry.Caching;

namespace Tlogistry.Registry.Tags;

/// <summary>
/// How many new log entries one client may cause: a token bucket per client address (an IPv6
/// client by its /64, the block one host is usually given), consulted only for a tag that has
/// no pin, right before the ledger is asked to record it. Warm pulls, digests and blobs never
/// take a token, so the limit bounds how fast an open proxy's log can be made to grow without
/// slowing its ordinary use. A tag is charged once: requests for it while its first sighting
/// is in flight (a fleet pulling a new tag at once) ride on the token already taken, and the
/// ledger's single flight makes them one entry.
/// </summary>
internal sealed class FirstSightingLimiter : IDisposable
{
    /// <summary>How long a charged tag stays charged: longer than a first sighting takes, after which its pin answers.</summary>
    private const long ChargedMilliseconds = 60_000;

    /// <summary>Bytes of charged tags remembered at most (about 20,000 tags); past it the least recently charged is charged again (never the other way round).</summary>
    public const long ChargedCapacityBytes = 4L * 1024 * 1024;

    private readonly PartitionedRateLimiter<IPAddress?> _buckets;
    private readonly ByteBoundedCache<string, long> _charged = new(ChargedCapacityBytes, static (reference, _) => MemorySize.Of(reference) + sizeof(long), StringComparer.Ordinal);
    private readonly Lock _gate = new();

    private FirstSightingLimiter(double perMinute, int burst)
    {
        PerMinute = perMinute;
        Burst = burst;
        var refill = TimeSpan.FromMinutes(1 / perMinute);
        _buckets = PartitionedRateLimiter.Create<IPAddress?, string>(address =>
            RateLimitPartition.GetTokenBucketLimiter(ClientKey(address), _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst,
                TokensPerPeriod = 1,
                ReplenishmentPeriod = refill,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    public double PerMinute { get; }

    public int Burst { get; }

    /// <summary>Bytes the charged tags hold now, at most <see cref="ChargedCapacityBytes"/>.</summary>
    public long ChargedBytes => _charged.HeldBytes;

    /// <summary>The limiter for these settings, or null when <paramref name="perMinute"/> is 0 (off).</summary>
    public static FirstSightingLimiter? Create(double perMinute, int burst)
    {
        if (perMinute == 0)
        {
            return null;
        }

        if (!double.IsFinite(perMinute) || perMinute < 0 || burst < 1)
        {
            throw new FormatException($"FirstSightingsPerMinute must be 0 (off) or more and FirstSightingBurst 1 or more, got {perMinute} and {burst}");
        }

        return new FirstSightingLimiter(perMinute, burst);
    }

    /// <summary>
    /// Admits a first sighting of <paramref name="reference"/>: free when the tag was charged
    /// moments ago, else one token from the client's budget; when none is left, says how long
    /// until one is.
    /// </summary>
    public bool TryAcquire(IPAddress? client, string reference, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        var now = Environment.TickCount64;
        // One lock, taken only for tags with no pin: checking and charging a tag is one step.
        lock (_gate)
        {
            if (_charged.TryGet(reference, out var until) && until > now)
            {
                return true;
            }

            using var lease = _buckets.AttemptAcquire(client);
            if (!lease.IsAcquired)
            {
                retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1 / PerMinute);
                return false;
            }

            _charged.Set(reference, now + ChargedMilliseconds);
            return true;
        }
    }

    public void Dispose() => _buckets.Dispose();

    /// <summary>The budget a client address draws on: IPv4 (or IPv4-mapped) by address, IPv6 by its /64.</summary>
    internal static string ClientKey(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
