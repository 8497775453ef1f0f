using System.Diagnostics;

namespace Tlogistry.Upstream;

/// <summary>
/// A read-only view of an upstream body with two clocks: a read fails when no byte arrives for
/// <see cref="_idle"/> (a registry that stalls), and when the exchange's
/// <see cref="ExchangeBudget"/> runs out (a registry that drips a byte now and then, which
/// no idle timer catches). Either way the request, its connection, its buffer and its
/// concurrency slot are let go.
/// </summary>
/// <remarks>
/// Only time spent waiting inside a read counts: between reads the clocks stop, so a client
/// slow to take the bytes is not charged to upstream. A blob is read in tens of thousands of
/// reads, so the timer is one cancellation source per body, armed for each read and reset
/// after it, not a new linked source per read.
/// </remarks>
internal sealed class UpstreamBodyStream : Stream
{
    private readonly Stream _inner;
    private readonly TimeSpan _idle;
    private readonly ExchangeBudget _budget;
    private TimeSpan _spent;
    private long _received;
    private CancellationTokenSource? _timer;
    private CancellationToken _linkedTo;

    /// <param name="spent">Upstream time the exchange took before the body (round trips, headers).</param>
    public UpstreamBodyStream(Stream inner, TimeSpan idle, ExchangeBudget budget, TimeSpan spent)
    {
        _inner = inner;
        _idle = idle;
        _budget = budget;
        _spent = spent;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var remaining = _budget.Remaining(_spent, _received);
        if (remaining <= TimeSpan.Zero)
        {
            throw new IOException($"upstream took longer than {_budget.Describe()}");
        }

        var byDeadline = remaining < _idle;
        var timer = Timer(cancellationToken);
        timer.CancelAfter(byDeadline ? remaining : _idle);
        var start = Stopwatch.GetTimestamp();
        try
        {
            var read = await _inner.ReadAsync(buffer, timer.Token);
            _received += read;
            return read;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException(byDeadline ? $"upstream took longer than {_budget.Describe()}" : $"upstream sent nothing for {_idle.TotalSeconds:0} s", e);
        }
        finally
        {
            _spent += Stopwatch.GetElapsedTime(start);

            // A source that fired (or whose caller cancelled) is not reused.
            if (!timer.TryReset())
            {
                timer.Dispose();
                _timer = null;
            }
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _timer?.Dispose();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>The body's timer source, linked to the caller's token (callers pass the same one on every read).</summary>
    private CancellationTokenSource Timer(CancellationToken cancellationToken)
    {
        if (_timer is null || cancellationToken != _linkedTo)
        {
            _timer?.Dispose();
            _timer = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken) : new CancellationTokenSource();
            _linkedTo = cancellationToken;
        }

        return _timer;
    }
}
