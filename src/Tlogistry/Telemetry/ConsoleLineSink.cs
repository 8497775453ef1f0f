using System.Text;

namespace Tlogistry.Telemetry;

/// <summary>
/// Where formatted log lines go: the console, in order. A line marked for batching waits at most
/// <see cref="Interval"/> to be written together with the lines that came meanwhile, so a busy
/// request path pays neither a thread wake-up nor a write per line; any other line is written at
/// once, after everything before it.
/// </summary>
internal sealed class ConsoleLineSink : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(25);

    /// <summary>Pending text that is written at once, without waiting for the timer.</summary>
    private const int FlushAt = 64 * 1024;

    private readonly TextWriter _output;
    private readonly Lock _pendingGate = new();
    private readonly Lock _writeGate = new();
    private readonly Timer _timer;
    private StringBuilder _pending = new();
    private StringBuilder _spare = new();
    private bool _disposed;

    /// <param name="interval">How long a batched line may wait; <see cref="Interval"/> unless a test holds lines back.</param>
    public ConsoleLineSink(TextWriter output, TimeSpan? interval = null)
    {
        _output = output;
        var every = interval ?? Interval;
        _timer = new Timer(_ => Flush(), null, every, every);
    }

    /// <summary>Takes the text of <paramref name="line"/> (which the caller may reuse at once).</summary>
    public void Append(StringBuilder line, bool batch)
    {
        bool full;
        lock (_pendingGate)
        {
            _pending.Append(line);
            full = _pending.Length >= FlushAt;
        }

        if (!batch || full || _disposed)
        {
            Flush();
        }
    }

    /// <summary>Writes everything pending. A console that cannot be written to loses the text, never the process.</summary>
    public void Flush()
    {
        lock (_writeGate)
        {
            StringBuilder batch;
            lock (_pendingGate)
            {
                if (_pending.Length == 0)
                {
                    return;
                }

                batch = _pending;
                _pending = _spare;
            }

            try
            {
                _output.Write(batch.ToString());
                _output.Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
            }
            finally
            {
                batch.Clear();
                _spare = batch;
            }
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _timer.Dispose();
        Flush();
    }
}
