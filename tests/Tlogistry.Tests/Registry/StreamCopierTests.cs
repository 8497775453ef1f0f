using System.IO.Pipelines;
using Tlogistry.Registry.PassThrough;

namespace Tlogistry.Tests.Registry;

/// <summary>The pass-through body copy: every byte, in order, with what is unsent held to the pipe's bound.</summary>
public sealed class StreamCopierTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ABodyOfManyChunksArrivesWholeAndUnsentBytesStayUnderThePipesBound()
    {
        const long PauseAt = 256 * 1024;
        var source = new CountingStream(3 * StreamCopier.ChunkSize + 12345);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: PauseAt, resumeWriterThreshold: PauseAt / 2, useSynchronizationContext: false));
        var received = new MemoryStream();

        var reader = Task.Run(async () =>
        {
            while (true)
            {
                var result = await pipe.Reader.ReadAsync(Ct);
                foreach (var segment in result.Buffer)
                {
                    received.Write(segment.Span);
                }

                // Counted before the pipe learns of it, so the copier can never see more taken than this.
                source.Consumed += result.Buffer.Length;
                pipe.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }

                await Task.Yield();
            }
        }, Ct);

        await StreamCopier.CopyAsync(source, pipe.Writer, Ct);
        await pipe.Writer.CompleteAsync();
        await reader;

        Assert.Equal(source.Expected(), received.ToArray());
        Assert.InRange(source.MaxUnsentAtRead, 0, PauseAt);
    }

    [Fact]
    public async Task AReaderThatStopsStopsTheReadsUpstream()
    {
        var source = new CountingStream(64L * StreamCopier.ChunkSize);
        var pipe = new Pipe(new PipeOptions(useSynchronizationContext: false));
        var reader = Task.Run(async () =>
        {
            var first = await pipe.Reader.ReadAsync(Ct);
            pipe.Reader.AdvanceTo(first.Buffer.End);
            // The client is gone: the pipe is closed from its end.
            await pipe.Reader.CompleteAsync();
        }, Ct);

        await StreamCopier.CopyAsync(source, pipe.Writer, Ct);
        await reader;

        Assert.InRange(source.Reads, 1, 2);
        Assert.True(source.Served < source.Length);
    }

    [Fact]
    public async Task AnEmptyBodyWritesNothing()
    {
        var pipe = new Pipe();
        await StreamCopier.CopyAsync(new MemoryStream(), pipe.Writer, Ct);
        await pipe.Writer.CompleteAsync();

        var result = await pipe.Reader.ReadAsync(Ct);
        Assert.True(result.IsCompleted);
        Assert.Equal(0, result.Buffer.Length);
    }

    /// <summary>A body of a given length whose byte i is (i * 7) mod 251, recording how far reads run ahead of the reader.</summary>
    private sealed class CountingStream(long length) : Stream
    {
        private long _consumed;

        public long Served { get; private set; }

        public int Reads { get; private set; }

        public long MaxUnsentAtRead { get; private set; }

        public long Consumed
        {
            get => Interlocked.Read(ref _consumed);
            set => Interlocked.Exchange(ref _consumed, value);
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => Served;
            set => throw new NotSupportedException();
        }

        public byte[] Expected()
        {
            var bytes = new byte[length];
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = (byte)(i * 7L % 251);
            }

            return bytes;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            MaxUnsentAtRead = Math.Max(MaxUnsentAtRead, Served - Consumed);
            var n = (int)Math.Min(buffer.Length, length - Served);
            for (var i = 0; i < n; i++)
            {
                buffer[i] = (byte)((Served + i) * 7 % 251);
            }

            Served += n;
            if (n > 0)
            {
                Reads++;
            }

            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
