using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Logging;
using StreamingPipeline.Broker;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Cli.Options;

namespace StreamingPipeline.Cli.Commands;

/// <summary><c>pipeline broker</c>: runs the embedded Kafka-compatible broker as a server until interrupted.</summary>
public static class BrokerCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Where topics, offsets and transaction state are kept", DefaultValueFactory = _ => "./data/broker" };
        var listen = CommonOptions.Listen("Where the broker listens");
        var advertisedHost = new Option<string?>("--advertised-host") { Description = "Host clients are told to connect to (default: the listen host)" };
        var partitions = new Option<int>("--partitions", "-p") { Description = "Partitions of automatically created topics", DefaultValueFactory = _ => 8 };
        var autoCreate = new Option<bool>("--auto-create-topics") { Description = "Create unknown topics on a client's metadata request, with --partitions partitions (on by default; --auto-create-topics false turns it off)", DefaultValueFactory = _ => true };
        var segmentBytes = CommonOptions.Size("--segment-bytes", "Segment file size before rolling", "1GiB");
        var retention = CommonOptions.Duration("--retention", "Delete segments older than this", "7d");
        var retentionBytes = new Option<string?>("--retention-bytes") { Description = "Per-partition size limit (e.g. 10GiB; default unlimited)" };
        var flush = new Option<string>("--flush")
        {
            Description = "When to fsync: os (leave it to the page cache, Kafka's default), every-write, or a duration such as 100ms",
            DefaultValueFactory = _ => "os",
        };
        var cleanerBuffer = CommonOptions.Size("--log-cleaner-buffer", "Memory of the log cleaner's offset map for compacted topics (log.cleaner.dedupe.buffer.size)", "32MiB");
        var cleanerBackoff = CommonOptions.Duration("--log-cleaner-backoff", "How long the log cleaner sleeps when no compacted partition needs cleaning", "15s");
        var cleanerIoRate = new Option<string>("--log-cleaner-io-rate")
        {
            Description = "Bytes per second the log cleaner may read plus write (log.cleaner.io.max.bytes.per.second; e.g. 8MiB, or unlimited)",
            DefaultValueFactory = _ => "4MiB",
        };
        var verbosity = Verbosity.Create();
        var quiet = Verbosity.CreateQuiet();
        var command = new Command("broker", "Run the embedded Kafka-compatible broker (single node, durable) until Ctrl+C")
        {
            dataDir, listen, advertisedHost, partitions, autoCreate, segmentBytes, retention, retentionBytes, flush, cleanerBuffer, cleanerBackoff, cleanerIoRate, verbosity, quiet,
        };
        partitions.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--partitions must be at least 1.");
            }
        });
        flush.Validators.Add(r =>
        {
            var text = r.GetValueOrDefault<string>();
            if (!TryParseFlush(text, out _, out _))
            {
                r.AddError($"--flush must be os, every-write or a duration, got '{text}'.");
            }
        });
        retentionBytes.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } text && !Sizes.TryParse(text, out _, out var error))
            {
                r.AddError(error!);
            }
        });
        cleanerIoRate.Validators.Add(r =>
        {
            var text = r.GetValueOrDefault<string>();
            if (!TryParseRate(text, out _))
            {
                r.AddError($"--log-cleaner-io-rate must be a size per second such as 8MiB, or unlimited, got '{text}'.");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var endPoint = parse.GetValue(listen)!;
            TryParseFlush(parse.GetValue(flush)!, out var flushMessages, out var flushMs);
            var retentionLimit = parse.GetValue(retentionBytes) is { } text && Sizes.TryParse(text, out var bytes, out _) ? bytes : -1;
            var options = new BrokerOptions
            {
                DataDirectory = Path.GetFullPath(parse.GetValue(dataDir)!),
                Host = endPoint.Address.ToString(),
                Port = endPoint.Port,
                AdvertisedHost = parse.GetValue(advertisedHost),
                DefaultPartitions = parse.GetValue(partitions),
                AutoCreateTopics = parse.GetValue(autoCreate),
                LogDefaults = new LogConfig
                {
                    SegmentBytes = parse.GetValue(segmentBytes),
                    RetentionMs = (long)parse.GetValue(retention).Value.TotalMilliseconds,
                    RetentionBytes = retentionLimit,
                    FlushMessages = flushMessages,
                    FlushMs = flushMs,
                },
                LogCleanerDedupeBufferSize = parse.GetValue(cleanerBuffer),
                LogCleanerBackoff = parse.GetValue(cleanerBackoff),
                LogCleanerIoMaxBytesPerSecond = TryParseRate(parse.GetValue(cleanerIoRate)!, out var rate) ? rate : double.PositiveInfinity,
            };
            using var loggers = Verbosity.CreateLoggerFactory(parse.GetValue(verbosity)!, parse.GetValue(quiet));
            var logger = loggers.CreateLogger("pipeline.broker");
            await using var broker = await EmbeddedBroker.StartAsync(options, loggers, ct);
            logger.LogInformation("Broker listening on {Bootstrap}, data in {DataDirectory}; Ctrl+C to stop", broker.BootstrapServers, options.DataDirectory);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                logger.LogInformation("Stopping broker");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static bool TryParseRate(string text, out double bytesPerSecond)
    {
        bytesPerSecond = double.PositiveInfinity;
        if (text == "unlimited")
        {
            return true;
        }
        if (!Sizes.TryParse(text, out var bytes, out _) || bytes <= 0)
        {
            return false;
        }
        bytesPerSecond = bytes;
        return true;
    }

    private static bool TryParseFlush(string text, out long flushMessages, out long flushMs)
    {
        (flushMessages, flushMs) = (long.MaxValue, long.MaxValue);
        switch (text)
        {
            case "os":
                return true;
            case "every-write":
                flushMessages = 1;
                return true;
            default:
                if (!Durations.TryParse(text, out var interval, out _))
                {
                    return false;
                }
                flushMs = (long)interval.TotalMilliseconds;
                return true;
        }
    }
}
