using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Fleet502.Tests.Collector.Infrastructure;

/// <summary>Keeps every log entry (message, structured values, exception) so tests can read them.</summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    /// <summary>Everything that was logged, as one text: messages, structured values and exceptions.</summary>
    public string AllText => string.Join('\n', _entries.Select(e => e.FullText));

    public ILogger CreateLogger(string categoryName) => new Recorder(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Recorder(string category, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}"))
                : "";
            entries.Enqueue(new LogEntry(category, logLevel, eventId.Id, formatter(state, exception), values, exception?.ToString()));
        }
    }
}

internal sealed record LogEntry(string Category, LogLevel Level, int EventId, string Message, string Values, string? Exception)
{
    public string FullText => $"{Category} {Level} {EventId} {Message} {Values} {Exception}";
}
