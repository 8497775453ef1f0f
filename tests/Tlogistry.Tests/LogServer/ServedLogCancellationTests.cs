using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Tlogistry.LogServer;

namespace Tlogistry.Tests.LogServer;

/// <summary>
/// A writer that disconnects while its entry is being appended (a replica killed mid-request)
/// and the same entry sent again by another writer: the log server's dedupe must see the first
/// append, so one entry is one leaf whatever moment the first request was cut at.
/// </summary>
public sealed class ServedLogCancellationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CanonicalEntry Entry(int i) =>
        new("hashedrekord", "0.0.2", Encoding.UTF8.GetBytes($"{{\"entry\":{i}}}"), [], null, []);

    [Fact]
    public async Task AnEntryWhoseWriterWentAwayMidAppendIsFoundWhenSentAgainNotAppendedTwice()
    {
        using var dir = new TempDirectory();
        using var served = await ServedLog.OpenAsync(dir.Path, TimeProvider.System, NullLoggerFactory.Instance, Ct);
        var random = new Random(20261207);
        var cancelledFirst = 0;
        const int Entries = 120;
        for (var i = 0; i < Entries; i++)
        {
            // Cut at a random moment: before the append starts, while its batch is written, or after.
            using var cut = new CancellationTokenSource();
            var first = served.AppendAsync(Entry(i), cut.Token);
            var spin = random.Next(0, 4000);
            for (var s = 0; s < spin; s++)
            {
                Thread.SpinWait(20);
            }

            await cut.CancelAsync();
            var again = await served.AppendAsync(Entry(i), Ct);
            try
            {
                var answered = await first;
                Assert.Equal(again.Entry.LogIndex, answered.Entry.LogIndex);
            }
            catch (OperationCanceledException)
            {
                // A cancelled call appended nothing: the second one is the entry.
                cancelledFirst++;
                Assert.True(again.Created, $"entry {i}: the first call was cancelled yet the second found an entry");
            }
        }

        Assert.Equal(Entries, served.Embedded.Size);
        Assert.True(cancelledFirst < Entries, "no first call reached the log: the test cut every one before it started");
    }
}
