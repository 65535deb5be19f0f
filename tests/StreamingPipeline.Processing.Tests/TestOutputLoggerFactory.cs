using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace StreamingPipeline.Processing.Tests;

/// <summary>Sends the runtime's log lines to the test's output, prefixed with the instance name.</summary>
internal sealed class TestOutputLoggerFactory(ITestOutputHelper output, string prefix) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new Logger(output, prefix);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(ITestOutputHelper output, string prefix) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try
            {
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {prefix} {logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
            }
            catch (InvalidOperationException)
            {
                // The test has finished; late log lines have nowhere to go.
            }
        }
    }
}
