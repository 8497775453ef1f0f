using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Tlogistry.Moves.Notify;
using Tlogistry.Oci;
using Tlogistry.Store;
using Tlogistry.Telemetry;

namespace Tlogistry.Tests.Moves.Notify;

/// <summary>
/// A webhook announcer as <c>serve</c> builds it, on its own meter, with what it counts
/// (<c>tlogistry.notify.deliveries</c> by result) and logs (event ID and fields) kept for the test.
/// </summary>
internal sealed class NotifyProbe : IAsyncDisposable
{
    private readonly Meter _meter = new(TlogistryMetrics.MeterName);
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public NotifyProbe(IEnumerable<Uri> urls, DeliverySettings settings, string? publicUrl = null)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, _meter) && instrument.Name == "tlogistry.notify.deliveries")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "result")
                {
                    _counts.AddOrUpdate((string)tag.Value!, value, (_, old) => old + value);
                }
            }
        });
        _listener.Start();
        Announcer = new WebhookAnnouncer(
            [.. urls.Select(u => WebhookUrl.Parse(u.ToString()))],
            publicUrl,
            settings,
            new TlogistryMetrics(_meter),
            TimeProvider.System,
            Logger);
    }

    public WebhookAnnouncer Announcer { get; }

    public RecordingLogger<WebhookAnnouncer> Logger { get; } = new();

    /// <summary>
    /// Short waits between attempts, so a test of retrying ends in a moment; each attempt still
    /// has long enough for a receiver on a cold, busy machine to answer.
    /// </summary>
    public static DeliverySettings Quick { get; } = new()
    {
        AttemptTimeout = TimeSpan.FromSeconds(20),
        MaxAttempts = 4,
        MaxTotal = TimeSpan.FromMinutes(2),
        FirstBackoff = TimeSpan.FromMilliseconds(5),
        MaxBackoff = TimeSpan.FromMilliseconds(20),
        MaxRetryAfter = TimeSpan.FromSeconds(1),
        DrainTimeout = TimeSpan.FromSeconds(30),
    };

    public long Count(string result) => _counts.TryGetValue(result, out var n) ? n : 0;

    public static async Task<NotifyProbe> StartAsync(IEnumerable<Uri> urls, DeliverySettings? settings = null, string? publicUrl = null)
    {
        var probe = new NotifyProbe(urls, settings ?? Quick, publicUrl);
        await probe.Announcer.StartAsync(TestContext.Current.CancellationToken);
        return probe;
    }

    /// <summary>A move of <c>moved.test/org/app:TAG</c> from one made-up manifest to another.</summary>
    public static TagMove Move(string tag = "v1", string upstream = "after", long refusals = 1, long pinnedServes = 0)
    {
        var at = new DateTimeOffset(2026, 3, 4, 5, 6, 7, 891, TimeSpan.Zero);
        return new TagMove(
            TagReference.ParseCanonical("moved.test/org/app:" + tag),
            Digest.Sha256("before"u8),
            Digest.Sha256(System.Text.Encoding.UTF8.GetBytes(upstream)),
            41,
            at,
            at,
            refusals,
            pinnedServes);
    }

    /// <summary>Waits (polling, up to a minute) until <paramref name="done"/> holds; fails the test otherwise.</summary>
    public static async Task WaitUntilAsync(Func<bool> done, string what)
    {
        for (var i = 0; i < 1200 && !done(); i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.True(done(), "never happened: " + what);
    }

    public async ValueTask DisposeAsync()
    {
        await Announcer.StopAsync(CancellationToken.None);
        await Announcer.DisposeAsync();
        _listener.Dispose();
        _meter.Dispose();
    }
}

/// <summary>Keeps every log line with its event ID and structured fields; safe across threads.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly List<(int Id, IReadOnlyDictionary<string, object?> Fields)> _lines = [];

    public IReadOnlyList<(int Id, IReadOnlyDictionary<string, object?> Fields)> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal)
            : new Dictionary<string, object?>(StringComparer.Ordinal);
        fields["Exception"] = exception?.ToString();
        lock (_lines)
        {
            _lines.Add((eventId.Id, fields));
        }
    }
}
