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
    private readonly TimeSpan _interval;
    private readonly Lock _pendingGate = new();
    private readonly Lock _writeGate = new();
    private readonly Timer _timer;
    private StringBuilder _pending = new();
    private StringBuilder _spare = new();
    private bool _armed;
    private volatile bool _disposed;

    /// <param name="interval">How long a batched line may wait; <see cref="Interval"/> unless a test holds lines back.</param>
    public ConsoleLineSink(TextWriter output, TimeSpan? interval = null)
    {
        _output = output;
        _interval = interval ?? Interval;

        // One-shot, armed by the first batched line after a write: an idle sink never wakes.
        _timer = new Timer(_ => OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Takes the text of <paramref name="line"/> (which the caller may reuse at once).</summary>
    public void Append(StringBuilder line, bool batch)
    {
        bool full;
        var arm = false;
        lock (_pendingGate)
        {
            _pending.Append(line);
            full = _pending.Length >= FlushAt;
            if (batch && !_armed)
            {
                _armed = arm = true;
            }
        }

        if (!batch || full || _disposed)
        {
            Flush();
        }
        else if (arm)
        {
            Arm();
        }
    }

    /// <summary>Writes everything pending. A console that cannot be written to loses the text, never the process.</summary>
    public void Flush()
    {
        lock (_writeGate)
        {
            WritePending();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _timer.Dispose();
        Flush();
    }

    /// <summary>
    /// The timer never waits for a write in progress (a stalled console must not take a thread
    /// per tick): it tries again later, so a line that came during that write is not left behind.
    /// </summary>
    private void OnTimer()
    {
        lock (_pendingGate)
        {
            _armed = false;
        }

        if (!_writeGate.TryEnter())
        {
            lock (_pendingGate)
            {
                _armed = true;
            }

            Arm();
            return;
        }

        try
        {
            WritePending();
        }
        finally
        {
            _writeGate.Exit();
        }
    }

    private void Arm()
    {
        try
        {
            _timer.Change(_interval, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile: Dispose writes what is pending.
        }
    }

    /// <summary>Under <see cref="_writeGate"/>: takes what is pending and writes it.</summary>
    private void WritePending()
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
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
        }
        finally
        {
            batch.Clear();
            _spare = batch;
        }
    }
}
