using Tlogistry.Ledger;
using Tlogistry.Store;

namespace Tlogistry.Web;

/// <summary>The figures the home page shows, and when they were counted.</summary>
/// <param name="Moves">Moves recorded; null when the proxy keeps no record.</param>
/// <param name="LogSize">Entries in the log's largest checkpoint this store verified.</param>
internal sealed record SiteTotals(long Sightings, long Images, long? Moves, long LogSize, DateTimeOffset CountedAt)
{
    /// <summary>The move count as shown.</summary>
    public string MovesText => Moves is { } n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "not recorded";
}

/// <summary>
/// The home page's counts, cached: counting sightings, images and moves reads every row of
/// the store, so it is done at most once per <see cref="MaxAge"/>, by one caller at a time and
/// off the request that found the figures stale (that request, and every other meanwhile,
/// gets the previous figures). Only the first request of a process waits for a count. Page
/// views therefore cost nothing in store reads however many sightings there are; the figures
/// are at most <see cref="MaxAge"/> plus one count old.
/// </summary>
internal sealed class SiteCounts
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);

    private readonly ISightingCounts _counts;
    private readonly ITagMoves? _moves;
    private readonly Func<CancellationToken, Task<long>> _logSize;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private SiteTotals? _last;
    private Task<SiteTotals>? _counting;

    public SiteCounts(ISightingCounts counts, ITagMoves? moves, Func<CancellationToken, Task<long>> logSize, TimeProvider time)
    {
        _counts = counts;
        _moves = moves;
        _logSize = logSize;
        _time = time;
    }

    public SiteCounts(ISightingCounts counts, ITagMoves? moves, LogHistory history, TimeProvider time)
        : this(counts, moves, history.RememberedSizeAsync, time)
    {
    }

    /// <summary>The latest figures; a count is started (on the pool, so it never completes inside the lock) when they are older than <see cref="MaxAge"/>.</summary>
    public async Task<SiteTotals> CurrentAsync(CancellationToken cancellationToken)
    {
        Task<SiteTotals> counting;
        lock (_gate)
        {
            if (_last is { } last && _time.GetUtcNow() - last.CountedAt < MaxAge)
            {
                return last;
            }

            counting = _counting ??= Task.Run(CountAsync);
            if (_last is { } stale)
            {
                return stale;
            }
        }

        return await counting.WaitAsync(cancellationToken);
    }

    private async Task<SiteTotals> CountAsync()
    {
        try
        {
            // Not the request's token: the count outlives the request that started it.
            var counted = await _counts.CountAsync(CancellationToken.None);
            var totals = new SiteTotals(counted.Sightings, counted.Images, _moves is null ? null : counted.Moves, await _logSize(CancellationToken.None), _time.GetUtcNow());
            lock (_gate)
            {
                _last = totals;
            }

            return totals;
        }
        finally
        {
            lock (_gate)
            {
                _counting = null;
            }
        }
    }
}
