using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using StreamingPipeline.Cli.Options;
using StreamingPipeline.Cli.Produce;
using StreamingPipeline.Events.Generation;
using StreamingPipeline.Events.Producing;
using StreamingPipeline.Observability.Metrics;

namespace StreamingPipeline.Cli.Commands;

/// <summary><c>pipeline produce</c>: the data generator, writing user events (with duplicates and malformed records) to Kafka.</summary>
public static class ProduceCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var bootstrap = CommonOptions.BootstrapServers();
        var topic = CommonOptions.Topic("Topic to write", "input-user-events");
        var rate = new Option<double>("--rate")
        {
            Description = "Records per second, steady; -1 for as fast as possible",
            DefaultValueFactory = _ => 1000,
            Validators = { r => RequireRate(r) },
        };
        var count = new Option<long?>("--count", "-n")
        {
            Description = "Stop after this many records in all (events, duplicates, malformed)",
            Validators = { r => Require(r, (long? v) => v is null or >= 0, "--count must not be negative") },
        };
        var duration = new Option<TimeSpan?>("--duration")
        {
            Description = "Stop after this long (e.g. 30s, 10m); without --count or --duration, run until Ctrl+C",
            CustomParser = ProduceArgumentParsers.ParseOptionalDuration,
        };
        var users = new Option<int>("--users")
        {
            Description = "Number of distinct users",
            DefaultValueFactory = _ => 10_000,
            Validators = { r => Require(r, (int v) => v >= 1, "--users must be at least 1") },
        };
        var distribution = new Option<string>("--distribution")
        {
            Description = "How users are drawn: uniform, or zipf (skewed by --skew)",
            DefaultValueFactory = _ => "uniform",
        };
        distribution.AcceptOnlyFromAmong("uniform", "zipf");
        var skew = new Option<double>("--skew")
        {
            Description = "Zipf exponent for --distribution zipf (1 is classic Zipf; larger is more skewed)",
            DefaultValueFactory = _ => 1.0,
            Validators = { r => Require(r, (double v) => v > 0 && double.IsFinite(v), "--skew must be a positive number") },
        };
        var sessions = new Option<int>("--concurrent-sessions")
        {
            Description = "Sessions open at once; a session's events cluster in time",
            DefaultValueFactory = _ => 1000,
            Validators = { r => Require(r, (int v) => v >= 1, "--concurrent-sessions must be at least 1") },
        };
        var duplicates = CommonOptions.Share("--duplicates", "Share of records that re-send an earlier event (same eventId and bytes)");
        var duplicateDelay = new Option<DuplicateDelay>("--duplicate-delay")
        {
            Description = "Event-time delay before a re-send: fixed (30s) or a log-uniform range; re-sends not yet due when --count is reached are sent at the end, earlier than planned (the summary classifies the real delay)",
            CustomParser = ProduceArgumentParsers.ParseDelay,
            DefaultValueFactory = _ => DuplicateDelay.Default,
        };
        var malformed = CommonOptions.Share("--malformed", "Share of records broken in each of the ways the parser rejects");
        var eventTimeStart = new Option<string>("--event-time-start")
        {
            Description = "Event time of the first record: now, epoch ms, or ISO 8601 (fix it with --seed for a reproducible stream)",
            DefaultValueFactory = _ => "now",
            Validators = { r => Require(r, (string v) => ProduceArgumentParsers.TryParseEventTimeStart(v, DateTimeOffset.UtcNow, out _, out _), "--event-time-start must be now, epoch milliseconds or an ISO 8601 time") },
        };
        var speedup = new Option<double>("--event-time-speedup")
        {
            Description = "Event-time seconds per real second at the target rate (3600: a real second is an event hour); with --rate -1 event time runs as if at 1000 records/s",
            DefaultValueFactory = _ => 1.0,
            Validators = { r => Require(r, (double v) => v > 0 && double.IsFinite(v), "--event-time-speedup must be a positive number") },
        };
        var seed = new Option<long?>("--seed") { Description = "Seed for a reproducible stream (random if omitted; recorded in the summary)" };
        var window = CommonOptions.Duration("--dedup-window", "Dedup window the summary's expectations assume", "24h");
        var slide = CommonOptions.Duration("--dedup-slide", "Dedup slide (bucket) the summary's expectations assume", "30m");
        var summary = new Option<string?>("--summary-json") { Description = "Write what was sent (counts by kind, delay class, reason, partition) to this JSON file" };
        var truth = new Option<string?>("--truth-file") { Description = "Write every distinct eventId that should survive dedup to this binary file (17 bytes an event)" };
        var maxInFlight = new Option<int>("--max-in-flight")
        {
            Description = "Most unacknowledged records; the generator waits beyond it",
            DefaultValueFactory = _ => 100_000,
            Validators = { r => Require(r, (int v) => v >= 1, "--max-in-flight must be at least 1") },
        };
        var maxPending = new Option<int>("--max-pending-duplicates")
        {
            Description = "Most re-sends waiting for their time; when full the earliest is sent early",
            DefaultValueFactory = _ => 1_000_000,
            Validators = { r => Require(r, (int v) => v >= 1, "--max-pending-duplicates must be at least 1") },
        };
        var deliveryTimeout = CommonOptions.Duration("--delivery-timeout", "Give up with an error when a record stays unacknowledged this long", "2m");
        var statsInterval = CommonOptions.Duration("--stats-interval", "Interval of the plain progress lines when output is not a terminal", "5s");
        var config = CommonOptions.Config("Extra producer (librdkafka) setting");
        var quiet = Verbosity.CreateQuiet("No progress display; only warnings and errors");
        var verbosity = Verbosity.Create();
        var metricsListen = MetricsOptions.Listen(MetricsOptions.ProduceDefault);

        var command = new Command("produce", "Generate user events (with duplicates and malformed records) and write them to Kafka.")
        {
            bootstrap, topic, rate, count, duration, users, distribution, skew, sessions, duplicates, duplicateDelay,
            malformed, eventTimeStart, speedup, seed, window, slide, summary, truth, maxInFlight, maxPending,
            deliveryTimeout, statsInterval, config, metricsListen, quiet, verbosity,
        };

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var rateValue = parseResult.GetValue(rate);
            ProduceArgumentParsers.TryParseEventTimeStart(parseResult.GetValue(eventTimeStart)!, DateTimeOffset.UtcNow, out var startMs, out _);
            var generatorOptions = new GeneratorOptions
            {
                Seed = parseResult.GetValue(seed) ?? Random.Shared.NextInt64(),
                Users = parseResult.GetValue(users),
                Distribution = parseResult.GetValue(distribution) == "zipf" ? UserDistribution.Zipf : UserDistribution.Uniform,
                Skew = parseResult.GetValue(skew),
                ConcurrentSessions = parseResult.GetValue(sessions),
                DuplicateShare = parseResult.GetValue(duplicates),
                DuplicateDelay = parseResult.GetValue(duplicateDelay)!,
                MalformedShare = parseResult.GetValue(malformed),
                EventTimeStart = startMs,
                EventTimeSpeedup = parseResult.GetValue(speedup),
                EventsPerSecond = rateValue > 0 ? rateValue : GeneratorOptions.NominalEventsPerSecond,
                MaxRecords = parseResult.GetValue(count),
                MaxPendingDuplicates = parseResult.GetValue(maxPending),
                DedupWindow = parseResult.GetValue(window),
                DedupSlide = parseResult.GetValue(slide),
            };
            if (generatorOptions.Validate() is { } invalid)
            {
                await Console.Error.WriteLineAsync($"error: {invalid}");
                return ExitCodes.Usage;
            }
            var settings = new ProducerSettings
            {
                BootstrapServers = parseResult.GetValue(bootstrap)!,
                Topic = parseResult.GetValue(topic)!,
                Rate = rateValue,
                Duration = parseResult.GetValue(duration),
                MaxInFlight = parseResult.GetValue(maxInFlight),
                DeliveryTimeout = parseResult.GetValue(deliveryTimeout),
                Config = CommonOptions.ToDictionary(parseResult.GetValue(config)),
                SummaryPath = parseResult.GetValue(summary),
                TruthFilePath = parseResult.GetValue(truth),
            };
            if (InvalidClientSetting(settings) is { } badConfig)
            {
                await Console.Error.WriteLineAsync($"error: --config: {badConfig}");
                return ExitCodes.Usage;
            }
            if (await BootstrapCheck.FindProblemAsync(settings.BootstrapServers, cancellationToken) is { } unreachable)
            {
                await Console.Error.WriteLineAsync($"error: {unreachable}");
                return ExitCodes.Failure;
            }
            var logLevel = Verbosity.LevelOf(parseResult.GetValue(verbosity)!);
            return await RunAsync(generatorOptions, settings, ProgressDisplay.Detect(parseResult.GetValue(quiet)), parseResult.GetValue(statsInterval), logLevel,
                (metrics, loggers) => MetricsOptions.StartAsync(parseResult, metricsListen, metrics, loggers, cancellationToken), cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(GeneratorOptions generatorOptions, ProducerSettings settings, ProgressMode mode, TimeSpan statsInterval, LogLevel logLevel,
        Func<PipelineMetrics, ILoggerFactory, Task<MetricsServer?>> serveMetrics, CancellationToken cancellationToken)
    {
        // On a terminal the live table shows client errors and -q silences them, unless -v asks for detail; elsewhere
        // warnings go to stderr as log lines (the client's reconnect chatter only at -v debug).
        using var loggerFactory = mode is ProgressMode.Live or ProgressMode.Quiet && logLevel > LogLevel.Debug
            ? NullLoggerFactory.Instance
            : LoggerFactory.Create(builder => builder
                .SetMinimumLevel(logLevel <= LogLevel.Debug ? logLevel : LogLevel.Warning)
                .AddConsole(o => o.FormatterName = PlainConsoleFormatter.FormatterName)
                .AddConsoleFormatter<PlainConsoleFormatter, PlainConsoleFormatterOptions>()
                .Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        if (mode != ProgressMode.Quiet)
        {
            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"produce: topic={settings.Topic} bootstrap={settings.BootstrapServers} rate={(settings.Rate < 0 ? "unlimited" : settings.Rate.ToString(CultureInfo.InvariantCulture))} seed={generatorOptions.Seed} event_time_start={DateTimeOffset.FromUnixTimeMilliseconds(generatorOptions.EventTimeStart):O}"));
        }
        var producer = new EventProducer(generatorOptions, settings, TimeProvider.System, loggerFactory.CreateLogger("produce"));
        var metrics = new PipelineMetrics();
        metrics.AddGenerator(producer, settings.Rate);
        await using var metricsServer = await serveMetrics(metrics, loggerFactory);
        metrics.SetStatus(ComponentNames.Generator, ComponentStatus.Running);
        var run = producer.RunAsync(cancellationToken);
        await ProgressDisplay.ShowAsync(mode, producer, run, statsInterval);
        var outcome = await run;
        var s = outcome.Summary;
        await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"produced {s.TotalRecords} records to {settings.Topic} ({s.Events} events, {s.Duplicates} duplicates, {s.Malformed} malformed) in {s.ElapsedSeconds:0.0}s ({s.AchievedRate:0}/s); acknowledged {s.Acknowledged}, not acknowledged {s.NotAcknowledged}; {s.UnsentDuplicates} scheduled re-sends not sent because the run ended"));
        if (!outcome.Succeeded)
        {
            await Console.Error.WriteLineAsync($"error: {outcome.Error}");
            return ExitCodes.Failure;
        }
        return ExitCodes.Ok;
    }

    /// <summary>Null when the client accepts every <c>--config</c> setting, else the client's reason.</summary>
    private static string? InvalidClientSetting(ProducerSettings settings)
    {
        // No bootstrap servers: the throwaway client checks its settings and never connects.
        var config = EventProducerConfig.Create("", settings.MaxInFlight, settings.DeliveryTimeout, settings.Config);
        try
        {
            using var client = new ProducerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or KafkaException)
        {
            return ex.Message;
        }
    }

    private static void RequireRate(OptionResult result)
    {
        var value = result.GetValueOrDefault<double>();
        if (!(value > 0 && double.IsFinite(value)) && value != -1)
        {
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"--rate must be a positive number of records per second, or -1 for unlimited (got {value})"));
        }
    }

    private static void Require<T>(OptionResult result, Func<T, bool> isValid, string message)
    {
        if (result.Tokens.Count > 0 && !isValid(result.GetValueOrDefault<T>()))
        {
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{message} (got {string.Join(' ', result.Tokens.Select(t => t.Value))})"));
        }
    }
}
