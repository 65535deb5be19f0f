using System.CommandLine;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using StreamingPipeline.Broker;
using StreamingPipeline.Cli.Options;
using StreamingPipeline.Events.Generation;
using StreamingPipeline.Events.Producing;
using StreamingPipeline.Jobs.Dedup;
using StreamingPipeline.Processing;
using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Cli.Commands;

/// <summary>
/// <c>pipeline up</c>: the embedded deployment in one process. It starts the broker with the pipeline's topics, the
/// generator writing to <c>input-user-events</c> and the dedup job (24 h window, 30 min slide, RocksDB state under
/// <c>--data-dir</c>) writing <c>output-user-events</c>; the ingester and dashboard join it as they are built.
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
        var listen = CommonOptions.Listen("Where the embedded broker listens");
        var partitions = new Option<int>("--partitions", "-p") { Description = "Partitions of the input and output topics", DefaultValueFactory = _ => 8 };
        var rate = new Option<double>("--rate") { Description = "Events per second the generator sends (0 = no generator)", DefaultValueFactory = _ => 100 };
        var duplicates = CommonOptions.Share("--duplicates", "Share of records the generator re-sends (same eventId and bytes)", 0.05);
        var malformed = CommonOptions.Share("--malformed", "Share of malformed records the generator sends", 0.001);
        var verbosity = Verbosity.Create();
        var quiet = Verbosity.CreateQuiet();
        var command = new Command("up", "Run the whole pipeline on the embedded broker until Ctrl+C (data under --data-dir survives restarts)")
        {
            dataDir, listen, partitions, rate, duplicates, malformed, verbosity, quiet,
        };
        rate.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() < 0)
            {
                r.AddError("--rate must be 0 (no generator) or a positive number of events per second.");
            }
        });
        partitions.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--partitions must be at least 1.");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            using var loggers = Verbosity.CreateLoggerFactory(parse.GetValue(verbosity)!, parse.GetValue(quiet));
            var logger = loggers.CreateLogger("pipeline.up");
            var endPoint = parse.GetValue(listen)!;
            var builder = EmbeddedBroker.CreateBuilder()
                .WithDataDirectory(Path.GetFullPath(Path.Combine(parse.GetValue(dataDir)!, "broker")))
                // Topics created on first use (a client's metadata request) get the same partition count as `broker`'s.
                .WithOptions(o => o with { Host = endPoint.Address.ToString(), Port = endPoint.Port, DefaultPartitions = parse.GetValue(partitions) })
                .WithLoggerFactory(loggers);
            foreach (var (name, defaultPartitions) in PipelineTopics)
            {
                builder.WithTopic(name, defaultPartitions == 1 ? 1 : parse.GetValue(partitions));
            }
            await using var broker = await builder.StartAsync(ct);
            WarnAboutExistingPartitions(broker.BootstrapServers, parse.GetValue(partitions), parse.GetResult(partitions) is { Implicit: false }, logger);
            logger.LogInformation("Embedded broker on {Bootstrap}; topics {Topics}. Ctrl+C to stop.",
                broker.BootstrapServers, string.Join(", ", PipelineTopics.Select(t => t.Name)));
            var dedup = RunDedupAsync(broker.BootstrapServers, Path.GetFullPath(Path.Combine(parse.GetValue(dataDir)!, "state")), loggers, ct);
            var generator = parse.GetValue(rate) > 0
                ? RunGeneratorAsync(broker.BootstrapServers, parse.GetValue(rate), parse.GetValue(duplicates), parse.GetValue(malformed), loggers, ct)
                : Task.FromResult(ExitCodes.Ok);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                logger.LogInformation("Stopping");
            }
            var dedupExit = await dedup;
            var generatorExit = await generator;
            return dedupExit != ExitCodes.Ok ? dedupExit : generatorExit;
        });
        return command;
    }

    /// <summary>Topics that already exist keep their partitions; say so when -p asked for another count.</summary>
    private static void WarnAboutExistingPartitions(string bootstrap, int requested, bool explicitlyRequested, ILogger logger)
    {
        if (!explicitlyRequested)
        {
            return;
        }
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        foreach (var (name, defaultPartitions) in PipelineTopics.Where(t => t.Partitions > 1))
        {
            var existing = metadata.Topics.FirstOrDefault(t => t.Topic == name)?.Partitions.Count;
            if (existing is { } count && count != requested)
            {
                logger.LogWarning("{Topic} already exists with {Partitions}; --partitions {Requested} applies only to topics up creates",
                    name, count == 1 ? "1 partition" : $"{count} partitions", requested);
            }
        }
    }

    private static async Task<int> RunDedupAsync(string bootstrap, string stateDirectory, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger("pipeline.dedup");
        var processor = new StreamProcessor(
            new DedupJob(DedupWindow.Default, StateBackend.RocksDb),
            new ProcessingOptions
            {
                BootstrapServers = bootstrap,
                InputTopic = PipelineTopics[0].Name,
                OutputTopic = PipelineTopics[1].Name,
                DlqTopic = PipelineTopics[2].Name,
                GroupId = "pipeline-dedup",
                StateDirectory = stateDirectory,
            },
            loggers);
        try
        {
            await processor.RunAsync(ct);
            logger.LogInformation("Dedup stopped after {Commits} commits ({Dropped} duplicates dropped, {DeadLettered} dead letters)",
                processor.Metrics.Commits, processor.Metrics.Dropped, processor.Metrics.DeadLettered);
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is ProcessingConfigurationException or KafkaException)
        {
            logger.LogError("Dedup stopped: {Error}", ex.Message);
            return ExitCodes.Failure;
        }
    }

    private static async Task<int> RunGeneratorAsync(string bootstrap, double rate, double duplicates, double malformed, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger("pipeline.generator");
        var producer = new EventProducer(
            new GeneratorOptions
            {
                Seed = Random.Shared.NextInt64(),
                DuplicateShare = duplicates,
                MalformedShare = malformed,
                EventTimeStart = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                EventsPerSecond = rate,
            },
            new ProducerSettings { BootstrapServers = bootstrap, Topic = PipelineTopics[0].Name, Rate = rate },
            TimeProvider.System,
            logger);
        logger.LogInformation("Generator sending {Rate} events/s to {Topic} ({Duplicates:P0} duplicates, {Malformed:P1} malformed)",
            rate, PipelineTopics[0].Name, duplicates, malformed);
        var outcome = await producer.RunAsync(ct);
        if (outcome.Error is not null)
        {
            logger.LogError("Generator stopped: {Error}", outcome.Error);
            return ExitCodes.Failure;
        }
        logger.LogInformation("Generator sent {Total} records", outcome.Summary.TotalRecords);
        return ExitCodes.Ok;
    }
}
