using System.Threading.Channels;
using Tlogistry.Upstream;

namespace Tlogistry.Tests.Upstream;

public sealed class UpstreamBodyStreamTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A body with only the idle timer (a budget that never runs out first).</summary>
    private static UpstreamBodyStream Idle(Stream inner, TimeSpan idle) =>
        new(inner, idle, ExchangeBudget.Fixed(TimeSpan.FromHours(1)), TimeSpan.Zero);

    private static async Task<int> ReadAsync(Stream stream, CancellationToken cancellationToken) =>
        await stream.ReadAsync(new byte[4], cancellationToken);

    /// <summary>An upstream body that hands out the chunks it is given, and waits for the next one.</summary>
    private sealed class ChunkStream : Stream
    {
        private readonly Channel<byte[]> _chunks = Channel.CreateUnbounded<byte[]>();

        public void Send(params byte[] chunk) => _chunks.Writer.TryWrite(chunk);

        public void End() => _chunks.Writer.TryComplete();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!await _chunks.Reader.WaitToReadAsync(cancellationToken))
            {
                return 0;
            }

            var chunk = await _chunks.Reader.ReadAsync(cancellationToken);
            chunk.CopyTo(buffer);
            return chunk.Length;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task BytesPassThroughInOrderOverManyReads()
    {
        var inner = new ChunkStream();
        await using var stream = Idle(inner, TimeSpan.FromSeconds(30));
        var buffer = new byte[16];
        for (var i = 0; i < 1000; i++)
        {
            inner.Send((byte)i, (byte)(i >> 8));
            Assert.Equal(2, await stream.ReadAsync(buffer, Ct));
            Assert.Equal([(byte)i, (byte)(i >> 8)], buffer[..2]);
        }

        inner.End();
        Assert.Equal(0, await stream.ReadAsync(buffer, Ct));
    }

    [Fact]
    public async Task AStalledUpstreamFailsTheReadWithAnIOException()
    {
        var inner = new ChunkStream();
        await using var stream = Idle(inner, TimeSpan.FromMilliseconds(100));
        inner.Send(1);
        Assert.Equal(1, await stream.ReadAsync(new byte[4], Ct));

        var error = await Assert.ThrowsAsync<IOException>(() => ReadAsync(stream, Ct));
        Assert.Contains("upstream sent nothing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TimeBetweenReadsDoesNotCountAgainstUpstream()
    {
        // A client slow to take the bytes leaves long pauses between reads; only a read that
        // waits on upstream is timed.
        var inner = new ChunkStream();
        await using var stream = Idle(inner, TimeSpan.FromMilliseconds(100));
        for (var i = 0; i < 3; i++)
        {
            inner.Send((byte)i);
            Assert.Equal(1, await stream.ReadAsync(new byte[4], Ct));
            await Task.Delay(300, Ct);
        }
    }

    [Fact]
    public async Task TheCallersCancellationIsNotReportedAsAStall()
    {
        var inner = new ChunkStream();
        await using var stream = Idle(inner, TimeSpan.FromSeconds(30));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        inner.Send(1);
        Assert.Equal(1, await stream.ReadAsync(new byte[4], cts.Token));

        var read = stream.ReadAsync(new byte[4], cts.Token).AsTask();
        await cts.CancelAsync();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
        Assert.IsNotType<IOException>(error.InnerException);
    }

    [Fact]
    public async Task ReadsWithAnotherCallersTokenAreTimedToo()
    {
        var inner = new ChunkStream();
        await using var stream = Idle(inner, TimeSpan.FromMilliseconds(100));
        using var first = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        inner.Send(1);
        Assert.Equal(1, await stream.ReadAsync(new byte[4], first.Token));

        using var second = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await Assert.ThrowsAsync<IOException>(() => ReadAsync(stream, second.Token));
    }

    [Fact]
    public async Task ABodyThatDripsWithoutStallingRunsOutOfItsBudget()
    {
        // Every byte comes well inside the idle timeout; only the exchange budget can stop it.
        var inner = new ChunkStream();
        await using var stream = new UpstreamBodyStream(inner, TimeSpan.FromSeconds(30), ExchangeBudget.Fixed(TimeSpan.FromMilliseconds(300)), TimeSpan.Zero);
        var error = await Assert.ThrowsAsync<IOException>(async () =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                var read = stream.ReadAsync(new byte[4], Ct).AsTask();
                await Task.Delay(20, Ct);
                inner.Send(1);
                await read;
            }
        });
        Assert.Contains("exchange deadline", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TimeTakenBeforeTheBodyCountsAgainstTheBudget()
    {
        var inner = new ChunkStream();
        inner.Send(1);
        await using var stream = new UpstreamBodyStream(inner, TimeSpan.FromSeconds(30), ExchangeBudget.Fixed(TimeSpan.FromSeconds(60)), TimeSpan.FromSeconds(61));
        await Assert.ThrowsAsync<IOException>(() => ReadAsync(stream, Ct));
    }

    [Fact]
    public async Task ABlobThatKeepsTheMinimumRateStreamsPastTheAllowance()
    {
        // 200 ms allowance; each 1000-byte chunk at 1000 B/s earns a second, far more than the
        // 20 ms each chunk takes, so the body outlives the allowance many times over.
        var inner = new ChunkStream();
        await using var stream = new UpstreamBodyStream(inner, TimeSpan.FromSeconds(30), new ExchangeBudget(TimeSpan.FromMilliseconds(200), 1000), TimeSpan.Zero);
        var buffer = new byte[1000];
        for (var i = 0; i < 40; i++)
        {
            var read = stream.ReadAsync(buffer, Ct).AsTask();
            await Task.Delay(20, Ct);
            inner.Send(new byte[1000]);
            Assert.Equal(1000, await read);
        }

        inner.End();
        Assert.Equal(0, await stream.ReadAsync(buffer, Ct));
    }

    [Fact]
    public void TheBudgetIsTheAllowancePlusTheTimeTheBytesEarned()
    {
        var blob = new ExchangeBudget(TimeSpan.FromSeconds(60), 32 * 1024);
        Assert.Equal(TimeSpan.FromSeconds(60), blob.Remaining(TimeSpan.Zero, 0));
        Assert.Equal(TimeSpan.FromSeconds(30), blob.Remaining(TimeSpan.FromSeconds(32), 64 * 1024));
        Assert.True(blob.Remaining(TimeSpan.FromSeconds(61), 0) < TimeSpan.Zero);

        // 1 GiB at the minimum rate: 32768 s earned.
        Assert.Equal(TimeSpan.FromSeconds(60), blob.Remaining(TimeSpan.FromSeconds(32768), 1L << 30));

        var manifest = ExchangeBudget.Fixed(TimeSpan.FromSeconds(60));
        Assert.True(manifest.Remaining(TimeSpan.FromSeconds(61), 4 << 20) < TimeSpan.Zero);
    }
}
