using Microsoft.AspNetCore.Http;
using Tlogistry.Client;
using Tlogistry.Client.Moves;

namespace Tlogistry.Tests.Client;

/// <summary><c>tlogistry moves</c> against a proxy that follows the listing's shape while lying: pages that never end, rows that are not moves.</summary>
public sealed class MovesCommandTests
{
    private const string Row = """{"tag":"ghcr.io/org/app:v1","registry":"ghcr.io","pinned":"sha256:1111111111111111111111111111111111111111111111111111111111111111","upstream":"sha256:2222222222222222222222222222222222222222222222222222222222222222","pinLogIndex":4,"verify":"tlogistry verify …","bundle":"/tlog/bundle?image=x","firstSeen":"2026-01-01T00:00:00.000000Z","lastSeen":"2026-01-02T00:00:00.000000Z","refusals":2,"pinnedServes":0}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task APageThatNamesItselfAsNextIsRefusedRatherThanFollowedForEver()
    {
        var (app, url) = await LoopbackApp.StartAsync(async context =>
        {
            context.Response.Headers.Link = "</tlog/moves?after=1-1&limit=1000>; rel=\"next\"";
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"statement":"s","moves":[{{Row}}],"next":"/tlog/moves?after=1-1&limit=1000"}""", context.RequestAborted);
        });
        try
        {
            var error = await Assert.ThrowsAsync<ClientException>(() => RecordedMoves.RunAsync(new MovesRequest(url, null, null, null, false, null, null), TextWriter.Null, TextWriter.Null, Ct));
            Assert.Contains("do not end", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Fact]
    public async Task EndlessDistinctPagesStopAtTheLimit()
    {
        var served = 0;
        var (app, url) = await LoopbackApp.StartAsync(async context =>
        {
            var n = Interlocked.Increment(ref served);
            context.Response.Headers.Link = $"</tlog/moves?after={n}-{n}&limit=1000>; rel=\"next\"";
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"statement":"s","moves":[{{Row}}],"next":null}""", context.RequestAborted);
        });
        try
        {
            using var output = new StringWriter();
            Assert.Equal(0, await RecordedMoves.RunAsync(new MovesRequest(url, null, null, null, true, 3, null), output, TextWriter.Null, Ct));
            Assert.Equal(3, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.Equal(3, served);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Fact]
    public async Task ATableOfMoreRowsThanItMayHoldIsRefusedWhileJsonLinesAreWrittenAsTheyArrive()
    {
        var page = $$"""{"statement":"s","moves":[{{string.Join(',', Enumerable.Repeat(Row, 1000))}}],"next":null}""";
        var served = 0;
        var (app, url) = await LoopbackApp.StartAsync(async context =>
        {
            var n = Interlocked.Increment(ref served);
            context.Response.Headers.Link = $"</tlog/moves?after={n}-{n}&limit=1000>; rel=\"next\"";
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(page, context.RequestAborted);
        });
        try
        {
            // A table is aligned over every row, so it holds them: a proxy listing without end is refused at the bound.
            var error = await Assert.ThrowsAsync<ClientException>(() => RecordedMoves.RunAsync(new MovesRequest(url, null, null, null, false, null, null), TextWriter.Null, TextWriter.Null, Ct));
            Assert.Contains("--json", error.Message, StringComparison.Ordinal);
            Assert.Equal((RecordedMoves.MaxTableRows / 1000) + 1, served);

            // JSON lines leave each page as it arrives and hold none, so they pass that bound.
            var lines = new LineCounter();
            Assert.Equal(0, await RecordedMoves.RunAsync(new MovesRequest(url, null, null, null, true, RecordedMoves.MaxTableRows + 1500, null), lines, TextWriter.Null, Ct));
            Assert.Equal(RecordedMoves.MaxTableRows + 1500, lines.Lines);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    [Theory]
    [InlineData("""{"moves":[{"tag":"ghcr.io/org/app:v1"}]}""")]
    [InlineData("""{"moves":[{"tag":"NOT A TAG","registry":"x","pinned":"sha256:1","upstream":"sha256:2","pinLogIndex":1,"verify":"","firstSeen":"x","lastSeen":"x","refusals":1,"pinnedServes":0}]}""")]
    [InlineData("""{"moves":{}}""")]
    [InlineData("""[1,2,3]""")]
    [InlineData("""not json""")]
    public async Task RowsThatAreNotMovesAreTheProxysFaultNotACrash(string body)
    {
        var (app, url) = await LoopbackApp.StartAsync(async context =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(body, context.RequestAborted);
        });
        try
        {
            var error = await Assert.ThrowsAsync<ClientException>(() => RecordedMoves.RunAsync(new MovesRequest(url, null, null, null, false, null, null), TextWriter.Null, TextWriter.Null, Ct));
            Assert.Contains("malformed list of moves", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await LoopbackApp.StopAsync(app);
        }
    }

    /// <summary>Counts the lines written to it, keeping none.</summary>
    private sealed class LineCounter : TextWriter
    {
        public int Lines { get; private set; }

        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value) => Lines += value == '\n' ? 1 : 0;

        public override void Write(string? value) => Lines += value?.Count(c => c == '\n') ?? 0;

        public override Task WriteAsync(string? value)
        {
            Write(value);
            return Task.CompletedTask;
        }
    }
}
