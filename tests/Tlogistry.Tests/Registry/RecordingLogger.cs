using Microsoft.Extensions.Logging;

namespace Tlogistry.Tests.Registry;

/// <summary>Keeps every line logged to it, with its event ID and formatted message.</summary>
internal sealed class RecordingLogger : ILogger
{
    public List<(EventId Id, LogLevel Level, string Message)> Lines { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Add((eventId, logLevel, formatter(state, exception)));
}
