using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Tlogistry.Telemetry;

namespace Tlogistry.Tests.Telemetry;

/// <summary>The console logger: Microsoft's formatters, lines in order, per-request lines written in batches.</summary>
public sealed class ConsoleLogTests
{
    private const string Batched = "Test.Requests";

    [Fact]
    public void BatchedLinesWaitAndAnyOtherLineWritesEverythingBeforeItInOrder()
    {
        var output = new LockedWriter();
        using (var services = Build("text", output, Timeout.InfiniteTimeSpan))
        {
            var factory = services.GetRequiredService<ILoggerFactory>();
            var requests = factory.CreateLogger(Batched);
            var other = factory.CreateLogger("Test.Other");
            requests.LogInformation("request {N}", 1);
            requests.LogInformation("request {N}", 2);
            Assert.Equal("", output.Text);

            other.LogInformation("started");
            Assert.Equal(
                ["info: Test.Requests[0] request 1", "info: Test.Requests[0] request 2", "info: Test.Other[0] started"],
                Lines(output.Text));

            // A warning in a batched category is not held back.
            requests.LogWarning("slow {N}", 3);
            Assert.EndsWith("warn: Test.Requests[0] slow 3", Lines(output.Text)[^1], StringComparison.Ordinal);

            requests.LogInformation("request {N}", 5);
            Assert.DoesNotContain("request 5", output.Text, StringComparison.Ordinal);
        }

        // Disposing the container writes what was pending.
        Assert.EndsWith("info: Test.Requests[0] request 5", Lines(output.Text)[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutOtherLinesTheTimerWritesABatchedOne()
    {
        var output = new LockedWriter();
        using var services = Build("text", output, ConsoleLineSink.Interval);
        services.GetRequiredService<ILoggerFactory>().CreateLogger(Batched).LogInformation("request {N}", 4);
        for (var i = 0; i < 400 && !output.Text.Contains("request 4", StringComparison.Ordinal); i++)
        {
            Thread.Sleep(25);
        }

        Assert.Equal(["info: Test.Requests[0] request 4"], Lines(output.Text));
    }

    [Fact]
    public async Task TheTimerRearmsAfterEachWriteAndWhileAWriteIsStalled()
    {
        var output = new GatedWriter();
        using var sink = new ConsoleLineSink(output, TimeSpan.FromMilliseconds(10));
        sink.Append(new StringBuilder("one\n"), batch: true);
        Assert.True(SpinWait.SpinUntil(() => output.Text.Contains("one", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
        sink.Append(new StringBuilder("two\n"), batch: true);
        Assert.True(SpinWait.SpinUntil(() => output.Text.Contains("two", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));

        // A write stalls (a console nobody reads); a batched line comes meanwhile and waits, and
        // the ticks that find the write in progress do not wait for it but come back later.
        output.Stall();
        var stalled = Task.Run(() => sink.Append(new StringBuilder("three\n"), batch: false), TestContext.Current.CancellationToken);
        Assert.True(SpinWait.SpinUntil(() => output.Stalled, TimeSpan.FromSeconds(10)));
        sink.Append(new StringBuilder("four\n"), batch: true);
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.False(stalled.IsCompleted);
        output.Release();
        await stalled;
        Assert.True(SpinWait.SpinUntil(() => output.Text.Contains("four", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
        Assert.Equal("one\ntwo\nthree\nfour\n", output.Text);
    }

    [Fact]
    public void TheJsonFormatWritesOneObjectPerLineWithTheMessageFields()
    {
        var output = new LockedWriter();
        using (var services = Build("json", output, Timeout.InfiniteTimeSpan))
        {
            var requests = services.GetRequiredService<ILoggerFactory>().CreateLogger(Batched);
            for (var i = 0; i < 50; i++)
            {
                requests.LogInformation("GET {Path} status={Status}", "/v2/x/manifests/" + i, 200);
            }
        }

        var lines = Lines(output.Text);
        Assert.Equal(50, lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            using var line = JsonDocument.Parse(lines[i]);
            Assert.Equal(Batched, line.RootElement.GetProperty("Category").GetString());
            Assert.Equal("/v2/x/manifests/" + i, line.RootElement.GetProperty("State").GetProperty("Path").GetString());
        }
    }

    [Fact]
    public void LinesLoggedFromManyThreadsArriveWhole()
    {
        var output = new LockedWriter();
        using (var services = Build("text", output, ConsoleLineSink.Interval))
        {
            var requests = services.GetRequiredService<ILoggerFactory>().CreateLogger(Batched);
            Parallel.For(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => requests.LogInformation("request {N} {Tail}", i, new string('x', i % 300)));
        }

        var lines = Lines(output.Text);
        Assert.Equal(2000, lines.Length);
        Assert.Equal(Enumerable.Range(0, 2000), lines.Select(l => int.Parse(l.Split(' ')[3], System.Globalization.CultureInfo.InvariantCulture)).Order());
        Assert.All(lines, l => Assert.Equal(int.Parse(l.Split(' ')[3], System.Globalization.CultureInfo.InvariantCulture) % 300, l.Split(' ')[4].Length));
    }

    [Fact]
    public void AnUnknownFormatIsRefused()
    {
        var services = new ServiceCollection();
        var e = Assert.Throws<FormatException>(() => services.AddLogging(b => ConsoleLogs.Add(b, "xml")));
        Assert.Contains("text or json", e.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(string format, TextWriter output, TimeSpan interval)
    {
        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            ConsoleLogs.Add(b, format, Batched);
            b.SetMinimumLevel(LogLevel.Information);
        });
        // Colours depend on whether the test run's own stdout is a terminal; lines here are compared as text.
        services.Configure<SimpleConsoleFormatterOptions>(o => o.ColorBehavior = LoggerColorBehavior.Disabled);
        services.RemoveAll<ConsoleLineSink>();
        services.AddSingleton(_ => new ConsoleLineSink(output, interval));
        return services.BuildServiceProvider();
    }

    /// <summary>The lines without their timestamp prefix.</summary>
    private static string[] Lines(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).Select(l => l.StartsWith('{') ? l : l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..])];

    private sealed class LockedWriter : StringWriter
    {
        private readonly Lock _gate = new();

        public string Text
        {
            get
            {
                lock (_gate)
                {
                    return ToString();
                }
            }
        }

        public override void Write(string? value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }
    }

    /// <summary>A console whose writes can be made to hang until released.</summary>
    private sealed class GatedWriter : StringWriter
    {
        private readonly Lock _gate = new();
        private readonly ManualResetEventSlim _open = new(true);
        private volatile bool _stalled;

        public bool Stalled => _stalled;

        public string Text
        {
            get
            {
                lock (_gate)
                {
                    return ToString();
                }
            }
        }

        public void Stall() => _open.Reset();

        public void Release() => _open.Set();

        public override void Write(string? value)
        {
            if (!_open.IsSet)
            {
                _stalled = true;
                _open.Wait();
            }

            lock (_gate)
            {
                base.Write(value);
            }
        }

        protected override void Dispose(bool disposing)
        {
            _open.Dispose();
            base.Dispose(disposing);
        }
    }
}
