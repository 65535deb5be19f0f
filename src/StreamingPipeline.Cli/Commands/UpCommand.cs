using System.CommandLine;
using Microsoft.Extensions.Logging;
using StreamingPipeline.Broker;
using StreamingPipeline.Cli.Options;

namespace StreamingPipeline.Cli.Commands;

/// <summary>
/// <c>pipeline up</c>: the embedded deployment in one process. Today it starts the broker with the pipeline's topics;
/// the generator, dedup processor, ingester and dashboard join it as they are built.
/// </summary>
public static class UpCommand
{
    /// <summary>The pipeline's topics and their default partition counts (DESIGN.md).</summary>
    public static readonly IReadOnlyList<(string Name, int Partitions)> PipelineTopics =
    [
        ("input-user-events", 8),
        ("output-user-events", 8),
        ("user-events-dlq", 1),
    ];

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Where all pipeline data lives", DefaultValueFactory = _ => "./data" };
        var port = new Option<int>("--broker-port") { Description = "Port of the embedded broker on 127.0.0.1", DefaultValueFactory = _ => 9092 };
        var partitions = new Option<int>("--partitions", "-p") { Description = "Partitions of the input and output topics", DefaultValueFactory = _ => 8 };
        var verbosity = Verbosity.Create();
        var command = new Command("up", "Run the whole pipeline on the embedded broker until Ctrl+C (data under --data-dir survives restarts)")
        {
            dataDir, port, partitions, verbosity,
        };
        partitions.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--partitions must be at least 1.");
            }
        });
        port.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 65535)
            {
                r.AddError("--broker-port must be between 0 and 65535.");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            using var loggers = Verbosity.CreateLoggerFactory(parse.GetValue(verbosity)!);
            var logger = loggers.CreateLogger("pipeline.up");
            var builder = EmbeddedBroker.CreateBuilder()
                .WithDataDirectory(Path.GetFullPath(Path.Combine(parse.GetValue(dataDir)!, "broker")))
                .WithPort(parse.GetValue(port))
                .WithLoggerFactory(loggers);
            foreach (var (name, defaultPartitions) in PipelineTopics)
            {
                builder.WithTopic(name, defaultPartitions == 1 ? 1 : parse.GetValue(partitions));
            }
            await using var broker = await builder.StartAsync(ct);
            logger.LogInformation("Embedded broker on {Bootstrap}; topics {Topics}. Ctrl+C to stop.",
                broker.BootstrapServers, string.Join(", ", PipelineTopics.Select(t => t.Name)));
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                logger.LogInformation("Stopping");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
