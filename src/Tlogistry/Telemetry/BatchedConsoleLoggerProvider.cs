using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Tlogistry.Telemetry;

/// <summary>
/// The console logger, with Microsoft's formatters (<c>simple</c>, <c>json</c>) run on the
/// logging thread, and lines written through a <see cref="ConsoleLineSink"/>: the per-request
/// lines of <see cref="BatchedCategories"/> below Warning are written in batches, everything
/// else at once. The stock console logger hands every line to its own thread, which costs a
/// wake-up and a write per request on the hot path.
/// </summary>
[ProviderAlias("Console")]
internal sealed class BatchedConsoleLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    [ThreadStatic]
    private static StringWriter? t_line;

    private readonly ConsoleFormatter _formatter;
    private readonly ConsoleLineSink _sink;
    private readonly IReadOnlySet<string> _batched;
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public BatchedConsoleLoggerProvider(IOptions<ConsoleLoggerOptions> options, IEnumerable<ConsoleFormatter> formatters, BatchedCategories batched, ConsoleLineSink sink)
    {
        var name = options.Value.FormatterName ?? ConsoleFormatterNames.Simple;
        _formatter = formatters.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"no console log formatter named {name}");
        _batched = batched.Names;
        _sink = sink;
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName, _batched.Contains(categoryName));

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    /// <summary>The sink is the container's: it writes what is pending when the container is disposed.</summary>
    public void Dispose() => _sink.Flush();

    private void Write<TState>(in LogEntry<TState> entry, bool batched)
    {
        var line = t_line ??= new StringWriter(new StringBuilder(256), System.Globalization.CultureInfo.InvariantCulture);
        var text = line.GetStringBuilder();
        text.Clear();
        _formatter.Write(in entry, _scopes, line);
        if (text.Length > 0)
        {
            _sink.Append(text, batched && entry.LogLevel < LogLevel.Warning);
        }

        if (text.Capacity > 16 * 1024)
        {
            // One huge message must not stay pinned to the thread.
            t_line = null;
        }
    }

    private sealed class Logger(BatchedConsoleLoggerProvider provider, string category, bool batched) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter), batched);
            }
        }
    }
}

/// <summary>Log categories whose informational lines may wait a moment to be written in a batch.</summary>
internal sealed record BatchedCategories(IReadOnlySet<string> Names);
