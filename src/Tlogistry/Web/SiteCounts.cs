using Tlogistry.Ledger;
using Tlogistry.Store;

namespace Tlogistry.Web;

/// <summary>The figures the home page shows, and when they were counted.</summary>
/// <param name="Moves">Moves recorded, at most <see cref="SiteCounts.MaxCountedMoves"/>; null when the proxy keeps no record.</param>
/// <param name="LogSize">Entries in the log's largest checkpoint this store verified.</param>
internal sealed record SiteTotals(long Sightings, long Images, long? Moves, long LogSize, DateTimeOffset CountedAt)
{
    /// <summary>The move count as shown: "1000+" when the count stopped at its bound.</summary>
    public string MovesText => Moves is not { } n ? "not recorded" : n >= SiteCounts.MaxCountedMoves ? $"{SiteCounts.MaxCountedMoves}+" : n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// The home page's counts, cached: counting sightings and images reads every row of the
/// store, so it is done at most once per <see cref="MaxAge"/>, by one caller at a time and
/// off the request that found the figures stale (that request, and every other meanwhile,
/// gets the previous figures). Only the first request of a process waits for a count. Page
/// views therefore cost nothing in store reads however many sightings there are; the figures
/// are at most <see cref="MaxAge"/> plus one count old.
/// </summary>
internal sealed class SiteCounts
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);

    /// <summary>Moves counted at most (the record is read a page at a time; its size is bounded anyway).</summary>
    public const int MaxCountedMoves = 1000;

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
            var moves = await CountMovesAsync();
            var totals = new SiteTotals(counted.Sightings, counted.Images, moves, await _logSize(CancellationToken.None), _time.GetUtcNow());
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

    private async Task<long?> CountMovesAsync()
    {
        if (_moves is null)
        {
            return null;
        }

        long n = 0;
        string? after = null;
        do
        {
            var page = await _moves.ListMovesAsync(new MoveQuery(null, null, null, after, ImageMoves.PageRows), CancellationToken.None);
            n += page.Moves.Count;
            after = page.Next;
        }
        while (after is not null && n < MaxCountedMoves);

        return Math.Min(n, MaxCountedMoves);
    }
}
