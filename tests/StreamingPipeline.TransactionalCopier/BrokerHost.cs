using Microsoft.Extensions.Logging;
using StreamingPipeline.Broker;

namespace StreamingPipeline.TransactionalCopier;

/// <summary>Runs an embedded broker until stdin closes or the process is killed.</summary>
internal static class BrokerHost
{
    public static async Task<int> RunAsync(Dictionary<string, string> options)
    {
        // Warnings, and what the transaction coordinator decides, go to stderr: the test shows them when it fails.
        using var loggers = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(console => console.TimestampFormat = "HH:mm:ss.fff ")
            .AddFilter((category, level) => level >= LogLevel.Warning
                || (level >= LogLevel.Information && category is not null && category.Contains("Transaction", StringComparison.Ordinal))));
        await using var broker = await EmbeddedBroker.StartAsync(
            new BrokerOptions
            {
                DataDirectory = options.Required("data-dir"),
                Host = "127.0.0.1",
                Port = options.Int("port", 0),
            },
            loggers);
        Console.WriteLine($"listening {broker.BootstrapServers}");
        // The test kills this process; a closed stdin is the polite way to stop it.
        while (await Console.In.ReadLineAsync() is not null)
        {
        }
        return 0;
    }
}
