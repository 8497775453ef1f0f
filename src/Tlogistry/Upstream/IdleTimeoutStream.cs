namespace Tlogistry.Upstream;

/// <summary>
/// A read-only view of an upstream body that fails a read when no byte arrives for
/// <see cref="_idle"/>: a registry that stalls mid-body must not hold a request, its
/// connection and its buffer forever.
/// </summary>
/// <remarks>
/// A blob is read in tens of thousands of reads, so the timer is one cancellation source per
/// body, armed for each read and reset after it, not a new linked source per read.
/// </remarks>
internal sealed class IdleTimeoutStream : Stream
{
    private readonly Stream _inner;
    private readonly TimeSpan _idle;
    private CancellationTokenSource? _timer;
    private CancellationToken _linkedTo;

    public IdleTimeoutStream(Stream inner, TimeSpan idle)
    {
        _inner = inner;
        _idle = idle;
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
        var timer = Timer(cancellationToken);
        timer.CancelAfter(_idle);
        try
        {
            return await _inner.ReadAsync(buffer, timer.Token);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"upstream sent nothing for {_idle.TotalSeconds:0} s", e);
        }
        finally
        {
            // Between reads the clock stops: a client slow to take the bytes is not an idle
            // upstream. A source that fired (or whose caller cancelled) is not reused.
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
