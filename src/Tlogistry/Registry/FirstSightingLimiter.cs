using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;

namespace Tlogistry.Registry;

/// <summary>
/// How many new log entries one client may cause: a token bucket per client address (an IPv6
/// client by its /64, the block one host is usually given), consulted only for a tag that has
/// no pin, right before the ledger is asked to record it. Warm pulls, digests and blobs never
/// take a token, so the limit bounds how fast an open proxy's log can be made to grow without
/// slowing its ordinary use.
/// </summary>
internal sealed class FirstSightingLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress?> _buckets;

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

    /// <summary>Takes one first sighting from the client's budget; when none is left, says how long until one is.</summary>
    public bool TryAcquire(IPAddress? client, out TimeSpan retryAfter)
    {
        using var lease = _buckets.AttemptAcquire(client);
        retryAfter = TimeSpan.Zero;
        if (lease.IsAcquired)
        {
            return true;
        }

        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1 / PerMinute);
        return false;
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
