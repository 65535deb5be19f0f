using System.CommandLine;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using StreamingPipeline.Cli.Options;
using StreamingPipeline.Observability.Metrics;
using StreamingPipeline.Processing;

namespace StreamingPipeline.Cli.Processing;

/// <summary>Runs one processing job from its command line until Ctrl+C/SIGTERM, with its status display and exit codes.</summary>
public static class JobRunner
{
    /// <summary>Runs <paramref name="job"/>; returns the exit code (3 with one line on stderr when it cannot run).</summary>
    public static async Task<int> RunAsync(IStreamJob job, JobOptions options, ParseResult parse, CancellationToken cancellationToken)
    {
        var quiet = parse.GetValue(options.Quiet);
        using var loggers = Verbosity.CreateLoggerFactory(parse.GetValue(options.Verbosity)!, quiet);
        var logger = loggers.CreateLogger("pipeline." + job.Name);
        var settings = options.ToProcessingOptions(parse, call =>
        {
            // A hung client call (librdkafka issues 5456, 5511): exit so a supervisor restarts a fresh incarnation,
            // which resumes from the committed offsets.
            Console.Error.WriteLine($"error: {call} hung; exiting so a fresh instance can take over");
            Environment.Exit(ExitCodes.Failure);
        });
        var processor = new StreamProcessor(job, settings, loggers);
        var metrics = new PipelineMetrics();
        metrics.AddProcessor(job.Name, job.Name, processor.Metrics);
        await using var metricsServer = await MetricsOptions.StartAsync(parse, options.MetricsListen, metrics, loggers, cancellationToken);
        metrics.SetStatus(job.Name, ComponentStatus.Running);
        var run = processor.RunAsync(cancellationToken);
        try
        {
            if (!quiet)
            {
                await StatusDisplay.ShowAsync(job.Name, processor.Metrics, run, Console.IsErrorRedirected, parse.GetValue(options.StatsInterval));
            }
            await run;
            logger.LogInformation("{Job} stopped after {Commits} commits ({Records} records committed)", job.Name, processor.Metrics.Commits, processor.Metrics.CommittedRecords);
            return ExitCodes.Ok;
        }
        catch (ProcessingConfigurationException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.Failure;
        }
        catch (KafkaException ex)
        {
            await Console.Error.WriteLineAsync($"error: {job.Name} failed: {ex.Error.Code} {ex.Error.Reason}");
            return ExitCodes.Failure;
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"error: {job.Name} failed: {ex.GetType().Name}: {ex.Message}");
            return ExitCodes.Failure;
        }
    }
}
